/*
 * column_args.c: pass a row to the matchers as the columns criteria can read, not as a
 * whole-row value.
 *
 * match_profiles(t) and t @@ c take a row.  Built from a table scan, that row costs a
 * heap_form_tuple per row, and the matcher then takes it apart again: about as much as
 * the matching itself.  The planner support function below rewrites such calls, when the
 * row is a table's whole-row reference or a named row type's ROW(...) (a view pulled up),
 * into match_profiles_columns / criteria_match_columns with the row type, the column
 * names and the columns themselves as arguments, which the executor fetches from the scan
 * slot directly.  The result is the same: same fields, same types, same errors.
 */
#include "postgres.h"

#include "access/sysattr.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/pathnodes.h"
#include "nodes/supportnodes.h"
#include "optimizer/optimizer.h"
#include "parser/parse_func.h"
#include "parser/parsetree.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "criteria_core.h"
#include "row_reader.h"

/* Is name one of the fields criteria can read? */
static bool
IsCriteriaField(const char *name)
{
	for (int f = 0; f < CR_NFIELDS; f++)
		if (strcmp(cr_field_name(f), name) == 0)
			return true;
	return false;
}

/*
 * Whether an outer join of the query may turn a table's row into NULLs.  Outer joins come
 * from JoinExprs, each with its join RTE, pulled-up subqueries' too; a plain table scan
 * with none can leave its row's NULL test out, and a scan that reads no system column
 * passes on its tuples as they are instead of building a projected row for each.
 */
static bool
HasOuterJoin(PlannerInfo *root)
{
	ListCell   *lc;

	foreach(lc, root->parse->rtable)
	{
		RangeTblEntry *rte = lfirst(lc);

		if (rte->rtekind == RTE_JOIN && rte->jointype != JOIN_INNER)
			return true;
	}
	return false;
}

/*
 * The columns of row expression arg that criteria can read (all of them when
 * all_columns: a model may read any), with their names; and an expression that is NULL
 * exactly when the row itself is NULL.  False when arg is not a form this can rewrite.
 */
static bool
RowColumns(SupportRequestSimplify *req, Node *arg, bool all_columns, Oid *rowtype, List **cols, List **names,
		   Node **present)
{
	TupleDesc	td;
	RowExpr    *row = NULL;
	Var		   *var = NULL;

	if (IsA(arg, Var) && ((Var *) arg)->varattno == InvalidAttrNumber &&
		((Var *) arg)->varlevelsup == 0 && req->root != NULL)
	{
		RangeTblEntry *rte;

		var = (Var *) arg;
		if (var->varno < 1 || var->varno > list_length(req->root->parse->rtable))
			return false;
		rte = rt_fetch(var->varno, req->root->parse->rtable);
		/* plain tables only: they have ctid, NULL in a row an outer join made up */
		if (rte->rtekind != RTE_RELATION ||
			(rte->relkind != RELKIND_RELATION && rte->relkind != RELKIND_PARTITIONED_TABLE &&
			 rte->relkind != RELKIND_MATVIEW) ||
			var->vartype != get_rel_type_id(rte->relid))
			return false;
		*rowtype = var->vartype;
	}
	else if (IsA(arg, RowExpr) && ((RowExpr *) arg)->row_typeid != RECORDOID &&
			 !contain_volatile_functions(arg))
	{
		row = (RowExpr *) arg;
		*rowtype = row->row_typeid;
	}
	else
		return false;

	td = lookup_rowtype_tupdesc(*rowtype, -1);
	if (row != NULL && list_length(row->args) != td->natts)
	{
		ReleaseTupleDesc(td);
		return false;
	}
	*cols = NIL;
	*names = NIL;
	for (int a = 0; a < td->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(td, a);

		if (att->attisdropped || (!all_columns && !IsCriteriaField(NameStr(att->attname))))
			continue;
		*names = lappend(*names, makeString(pstrdup(NameStr(att->attname))));
		if (var != NULL)
			*cols = lappend(*cols, makeVar(var->varno, att->attnum, att->atttypid, att->atttypmod,
										   att->attcollation, 0));
		else
			*cols = lappend(*cols, list_nth(row->args, a));
	}
	ReleaseTupleDesc(td);
	if (*cols == NIL)
		return false;
	if (var != NULL && HasOuterJoin(req->root))
		*present = (Node *) makeVar(var->varno, SelfItemPointerAttributeNumber, TIDOID, -1, InvalidOid, 0);
	else						/* a ROW(...) value, or a row no outer join nulls, is never NULL */
		*present = (Node *) makeConst(TIDOID, -1, InvalidOid, sizeof(ItemPointerData),
									  DirectFunctionCall1(tidin, CStringGetDatum("(0,0)")), false, false);
	return true;
}

/* A text[] constant of the names. */
static Const *
NamesConst(List *names)
{
	Datum	   *elems = palloc(sizeof(Datum) * list_length(names));
	int			n = 0;
	ListCell   *lc;

	foreach(lc, names)
		elems[n++] = CStringGetTextDatum(strVal(lfirst(lc)));
	return makeConst(TEXTARRAYOID, -1, InvalidOid, -1,
					 PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT)),
					 false, false);
}

PG_FUNCTION_INFO_V1(row_columns_support);
/*
 * Planner support of match_profiles(record), criteria_match(record, criteria) and
 * score(text, record): f(row [, x]) becomes f_columns(type, present, names, [x,] cols...),
 * and score(m, row) becomes score_columns(m, type, present, names, cols...).
 */
Datum
row_columns_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	SupportRequestSimplify *req;
	FuncExpr   *f;
	const char *target;
	Oid			rowtype;
	List	   *cols,
			   *names,
			   *args;
	Node	   *present;
	Node	   *row;
	Oid			argtypes[5] = {REGTYPEOID, TIDOID, TEXTARRAYOID, InvalidOid, ANYOID};
	int			nargs;
	Oid			fn;
	bool		scoring = false;

	if (!IsA(rawreq, SupportRequestSimplify))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestSimplify *) rawreq;
	f = req->fcall;
	target = get_func_name(f->funcid);
	if (target == NULL || list_length(f->args) < 1)
		PG_RETURN_POINTER(NULL);
	if (strcmp(target, "match_profiles") == 0 && list_length(f->args) == 1)
		target = "match_profiles_columns";
	else if (strcmp(target, "criteria_match") == 0 && list_length(f->args) == 2)
		target = "criteria_match_columns";
	else if (strcmp(target, "score") == 0 && list_length(f->args) == 2)
	{
		target = "score_columns";
		scoring = true;
	}
	else
		PG_RETURN_POINTER(NULL);
	/*
	 * Not under grouping sets: a grouping set nulls the whole-row value it groups by, not the
	 * columns that would replace it.  (Also, unlike the strict original, the rewritten call
	 * does not let the planner turn an outer join it filters into an inner join.)
	 */
	if (req->root != NULL && req->root->parse->groupingSets != NIL)
		PG_RETURN_POINTER(NULL);
	row = scoring ? lsecond(f->args) : linitial(f->args);
	if (!RowColumns(req, row, scoring, &rowtype, &cols, &names, &present))
		PG_RETURN_POINTER(NULL);
	/* a function takes at most FUNC_MAX_ARGS arguments: a wider row keeps the row form */
	if (list_length(cols) + 5 > FUNC_MAX_ARGS)
		PG_RETURN_POINTER(NULL);
	if (scoring)
	{
		Oid			scoretypes[5] = {TEXTOID, REGTYPEOID, TIDOID, TEXTARRAYOID, ANYOID};

		fn = LookupFuncName(list_make2(makeString("customs_risk"), makeString((char *) target)),
							5, scoretypes, true);
		if (!OidIsValid(fn))
			PG_RETURN_POINTER(NULL);
		args = list_make4(linitial(f->args),
						  makeConst(REGTYPEOID, -1, InvalidOid, sizeof(Oid), ObjectIdGetDatum(rowtype), false, true),
						  present, NamesConst(names));
		PG_RETURN_POINTER(makeFuncExpr(fn, f->funcresulttype, list_concat(args, cols),
									   f->funccollid, f->inputcollid, COERCE_EXPLICIT_CALL));
	}

	args = list_make3(makeConst(REGTYPEOID, -1, InvalidOid, sizeof(Oid), ObjectIdGetDatum(rowtype), false, true),
					  present, NamesConst(names));
	if (list_length(f->args) == 2)
	{
		args = lappend(args, lsecond(f->args));
		argtypes[3] = exprType(lsecond(f->args));
		nargs = 5;
	}
	else
	{
		argtypes[3] = ANYOID;
		nargs = 4;
	}
	fn = LookupFuncName(list_make2(makeString("customs_risk"), makeString((char *) target)),
						nargs, argtypes, true);
	if (!OidIsValid(fn))
		PG_RETURN_POINTER(NULL);
	PG_RETURN_POINTER(makeFuncExpr(fn, f->funcresulttype, list_concat(args, cols),
								   f->funccollid, f->inputcollid, COERCE_EXPLICIT_CALL));
}

/*
 * Read the row type and the names once per call site.  They must be constants: the
 * column map is built once, not once per row.
 */
void
ArgColumnsInit(ArgColumns *ac, FunctionCallInfo fcinfo, MemoryContext mcxt, int typearg, int namesarg, int first)
{
	FmgrInfo   *flinfo = fcinfo->flinfo;
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (PG_ARGISNULL(typearg) || PG_ARGISNULL(namesarg))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the row type and the column names must not be NULL")));
	if (!get_fn_expr_arg_stable(flinfo, typearg) || !get_fn_expr_arg_stable(flinfo, namesarg))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the row type and the column names must be constants")));
	/* messages name the type: one that is not a row type (or no type) must stop here */
	if (!type_is_rowtype(DatumGetObjectId(PG_GETARG_DATUM(typearg))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("type %u is not a row type", DatumGetObjectId(PG_GETARG_DATUM(typearg)))));
	arr = PG_GETARG_ARRAYTYPE_P(namesarg);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the column names must be a one-dimensional array")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n != PG_NARGS() - first)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%d column names for %d columns", n, PG_NARGS() - first)));
	ac->names = MemoryContextAlloc(mcxt, sizeof(char *) * Max(n, 1));
	ac->types = MemoryContextAlloc(mcxt, sizeof(Oid) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("column names must not be NULL")));
		ac->names[i] = MemoryContextStrdup(mcxt, TextDatumGetCString(elems[i]));
		ac->types[i] = get_fn_expr_argtype(flinfo, first + i);
		if (!OidIsValid(ac->types[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("could not determine the type of column \"%s\"", ac->names[i])));
	}
	ac->first = first;
	ac->n = n;
	ac->rowtype = DatumGetObjectId(PG_GETARG_DATUM(typearg));
}
