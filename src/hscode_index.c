/*
 * hscode_index.c: planner support that lets a btree index on an hscode column
 * answer containment, so that  hs <@ '8471'  becomes the exact range
 * hs >= '8471' AND hs <= '8471999999'  (the key order keeps every code's
 * descendants contiguous; see hscode_core.h).
 */
#include "postgres.h"

#include "access/stratnum.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/pathnodes.h"
#include "nodes/supportnodes.h"
#include "optimizer/optimizer.h"
#include "parser/parse_func.h"
#include "utils/lsyscache.h"

#include "hscode.h"

/* OID of hs_range_end(hscode), in the schema of the function being planned. */
static Oid
RangeEndFunction(Oid sibling_funcid, Oid hstype)
{
	char	   *schema = get_namespace_name(get_func_namespace(sibling_funcid));
	List	   *name = list_make2(makeString(schema), makeString("hs_range_end"));

	return LookupFuncName(name, 1, &hstype, true);
}

/*
 * Turn a containment call into index range clauses.  pattern_arg is the
 * position of the containing code (1 for a <@ b, 0 for b @> a).
 */
static List *
ContainmentIndexClauses(SupportRequestIndexCondition *req, int pattern_arg)
{
	List	   *args;
	Node	   *key_expr;
	Node	   *pattern;
	Node	   *upper;
	Oid			hstype;
	Oid			ge_op;
	Oid			le_op;

	if (req->index->relam != BTREE_AM_OID || req->indexarg != 1 - pattern_arg)
		return NIL;
	if (is_opclause(req->node))
		args = ((OpExpr *) req->node)->args;
	else if (IsA(req->node, FuncExpr))
		args = ((FuncExpr *) req->node)->args;
	else
		return NIL;
	if (list_length(args) != 2)
		return NIL;

	key_expr = (Node *) list_nth(args, req->indexarg);
	pattern = (Node *) list_nth(args, pattern_arg);
	hstype = exprType(key_expr);
	if (exprType(pattern) != hstype ||
		!is_pseudo_constant_for_index(req->root, pattern, req->index))
		return NIL;

	ge_op = get_opfamily_member(req->opfamily, hstype, hstype, BTGreaterEqualStrategyNumber);
	le_op = get_opfamily_member(req->opfamily, hstype, hstype, BTLessEqualStrategyNumber);
	if (!OidIsValid(ge_op) || !OidIsValid(le_op))
		return NIL;

	if (IsA(pattern, Const))
	{
		Const	   *c = (Const *) pattern;

		if (c->constisnull)
			return NIL;
		upper = (Node *) makeConst(hstype, -1, InvalidOid, sizeof(int64),
								   HsKeyGetDatum(hs_last_descendant(DatumGetHsKey(c->constvalue))),
								   false, true);
	}
	else
	{
		/* a parameter or stable expression: compute the bound at run time */
		Oid			range_end = RangeEndFunction(req->funcid, hstype);

		if (!OidIsValid(range_end))
			return NIL;
		upper = (Node *) makeFuncExpr(range_end, hstype, list_make1(copyObject(pattern)),
									  InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL);
	}

	req->lossy = false;			/* the range is exactly the descendants */
	return list_make2(make_opclause(ge_op, BOOLOID, false, (Expr *) copyObject(key_expr),
									(Expr *) copyObject(pattern), InvalidOid, InvalidOid),
					  make_opclause(le_op, BOOLOID, false, (Expr *) copyObject(key_expr),
									(Expr *) upper, InvalidOid, InvalidOid));
}

PG_FUNCTION_INFO_V1(hscode_within_support);
/* Planner support for hscode_within (a <@ b): index on a. */
Datum
hscode_within_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);

	if (IsA(rawreq, SupportRequestIndexCondition))
		PG_RETURN_POINTER(ContainmentIndexClauses((SupportRequestIndexCondition *) rawreq, 1));
	PG_RETURN_POINTER(NULL);
}

PG_FUNCTION_INFO_V1(hscode_contains_support);
/* Planner support for hscode_contains (b @> a): index on a. */
Datum
hscode_contains_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);

	if (IsA(rawreq, SupportRequestIndexCondition))
		PG_RETURN_POINTER(ContainmentIndexClauses((SupportRequestIndexCondition *) rawreq, 0));
	PG_RETURN_POINTER(NULL);
}
