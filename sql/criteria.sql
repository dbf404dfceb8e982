-- The criteria type: the targeting language, canonical output, bad input, stored form.
SET search_path = customs_risk, public;

-- The issue's examples parse, print canonically and read back as the same value
SELECT c::criteria AS canonical, c::criteria::text::criteria::text = c::criteria::text AS stable,
       c::criteria::text = c AS already_canonical
  FROM (VALUES ('hs <@ 8471 and origin in (CN, VN) and unit_value < 20'),
               ('importer in list ''watchlist'' or (transport = air and value > 1000000 and origin_indicator = N)'))
       AS v(c);
-- Spelling varies, the canonical form does not
SELECT c AS written, c::criteria AS canonical
  FROM (VALUES ('HS <@ 8471'), ('hs<@8471.30 AND origin IN (VN,CN,CN)'),
               ('NOT transport = ''AIR'' or value BETWEEN 1e3 AND 2000.50'),
               ('declared_on >= ''2021-01-01'' and seller IS NULL and courier is not null'),
               ('((origin = CN)) and ((tax_rate > 0.1))'), ('origin = CN and (hs <@ 61 and value > 5)'),
               ('(origin = CN or origin = VN) and hs <@ (62, 61, 6109)'),
               ('importer = ''in'' or importer = ''O''''Brien'' or importer <> x1'),
               ('hs in (8471300000, 847130) and hs not in (85) and tax_type not in list ''fta''')) AS v(c);
SELECT criteria_fields('hs <@ 8471 and origin in (CN, VN) and unit_value < 20') AS fields,
       criteria_lists('importer in list ''watchlist'' or seller not in list ''sellers''') AS lists;

-- Bad criteria: each names what is wrong and where, with SQLSTATE 42601 (syntax) or 22P02 (values)
SELECT c AS criteria, try(format('SELECT %L::customs_risk.criteria', c)) AS result
  FROM (VALUES (''), ('   '), ('hs'), ('hs <@'), ('hs <@ 847'), ('hs = 8471a'), ('value <@ 8471'),
               ('origin < CN'), ('origin = cn'), ('origin = CHN'), ('origin in (CN, 12)'),
               ('transport = boat'), ('transport > air'), ('value > abc'), ('value > 1e999'),
               ('value > NaN'), ('value > Infinity'), ('value > 0x10'), ('value > 1e-400'), ('tax_rate = 5%'), ('declared_on > 2021-02-30'),
               ('declared_on > 21-01-01'), ('declared_on > 1066-10-14'), ('hs <@ 8471 and'),
               ('hs <@ 8471 origin = CN'), ('(hs <@ 8471'), ('hs <@ 8471)'), ('origin in (CN,'),
               ('origin in ()'), ('origin in CN'), ('importer in list watchlist'), ('value in list ''x'''),
               ('importer in list '''''), ('importer = ''unterminated'), ('value between 5 and 1'),
               ('value between 5 or 1'), ('seller is nothing'), ('hs ; drop table declaration'),
               ('not'), ('and hs <@ 84'), ('origin not CN'), ('grade = A'), ('importer = ''a' || chr(10) || 'b'''),
               ('hs <@ 8471 -- comment'), ('value > 1 or or value < 2'),
               (repeat('(', 70) || 'hs <@ 84' || repeat(')', 70))) AS v(c);
SELECT left(try(format('SELECT %L::customs_risk.criteria', 'importer in (' || string_agg('X' || i, ',') || ')')), 90) AS list_too_long
  FROM generate_series(1, 10001) i;
SELECT length(('importer in (' || string_agg('X' || i, ',') || ')')::criteria::text::criteria::text) AS long_list_ok
  FROM generate_series(1, 10000) i;
SELECT left(try(format('SELECT %L::customs_risk.criteria', repeat('hs <@ 84 or ', 5000) || 'hs <@ 85')), 90) AS too_many_operations;
SELECT NULL::criteria IS NULL AS null_in_null_out;

-- The stored form travels in binary and is validated when it comes back
SELECT '/tmp/customs_risk_criteria_' || pg_backend_pid() || '.bin' AS binfile \gset
CREATE TEMP TABLE crit_src AS
SELECT c::criteria AS c FROM (VALUES ('hs <@ (8471, 85) and origin in (CN, VN) and value between 1 and 2'),
                                     ('importer in list ''watchlist'' or not transport = air'),
                                     ('declared_on > 2021-01-01 and seller is null'),
                                     -- lists as written: out of order, with repeats
                                     ('origin in (VN, CN, CN) or importer in (B, A, B)')) AS v(c);
COPY crit_src TO :'binfile' (FORMAT binary);
CREATE TEMP TABLE crit_dst (c criteria);
COPY crit_dst FROM :'binfile' (FORMAT binary);
SELECT (SELECT array_agg(c::text ORDER BY c::text) FROM crit_src) = (SELECT array_agg(c::text ORDER BY c::text) FROM crit_dst) AS round_trip;
-- corrupt bytes (a bytea field has the same framing): a flipped operator, a truncated tail
COPY (SELECT set_byte(criteria_send('hs <@ 8471'), 16, 99)) TO :'binfile' (FORMAT binary);
SELECT try(format('COPY crit_dst FROM %L (FORMAT binary)', :'binfile')) AS bad_operator;
COPY (SELECT substr(criteria_send('hs <@ 8471'), 1, 20)) TO :'binfile' (FORMAT binary);
SELECT try(format('COPY crit_dst FROM %L (FORMAT binary)', :'binfile')) AS truncated;
-- bounds of between swapped: each slot is valid, the value is not one text input could make
COPY (SELECT overlay(b placing substr(b, 37, 8) || substr(b, 29, 8) from 29)
        FROM (SELECT criteria_send('value between 1 and 2') AS b) x) TO :'binfile' (FORMAT binary);
SELECT try(format('COPY crit_dst FROM %L (FORMAT binary)', :'binfile')) AS between_swapped;
COPY (SELECT '\x'::bytea) TO :'binfile' (FORMAT binary);
SELECT try(format('COPY crit_dst FROM %L (FORMAT binary)', :'binfile')) AS empty;
-- a list as written and as printed is one value, to the byte
SELECT criteria_send('origin in (VN, CN, CN)') = criteria_send('origin in (CN, VN)') AS lists_canonical;
-- a value whose printed form would break a limit (brackets added past the nesting limit) is
-- refused at input, not at a restore
SELECT left(try(format('SELECT %L::customs_risk.criteria', repeat('not ', 63) || '(importer = A or importer = B and importer = C)')), 90) AS prints_too_deep;

-- x @@ criteria on any row type with the named columns
CREATE TEMP TABLE goods (hs hscode, origin text, value numeric, transport text, importer varchar(10),
                         declared_on date, seller text);
INSERT INTO goods VALUES ('8471300000', 'CN', 15, 'air', 'IMP1', '2021-01-05', NULL),
                         ('8471300000', 'JP', 15, 'sea', 'IMP2', '2021-01-05', 'S1'),
                         ('8517', 'VN', 5000, 'air', 'IMP1', '2020-12-31', NULL),
                         ('0101', 'CN', NULL, 'road', 'IMP3', '2021-02-01', NULL);
SELECT g.hs, g.origin, g.value,
       g @@ 'hs <@ 8471 and origin in (CN, VN)' AS heading_cn_vn,
       g @@ 'value < 20' AS cheap,
       g @@ 'not value < 20' AS not_cheap,
       g @@ 'seller is null and declared_on >= 2021-01-01' AS no_seller_2021,
       g @@ 'transport = air or hs <@ 01' AS air_or_animals
  FROM goods g ORDER BY g.hs, g.origin;
INSERT INTO code_list VALUES ('watch', 'importers under watch');
INSERT INTO code_list_entry (list_name, code) VALUES ('watch', 'IMP1'), ('watch', 'IMP3');
SELECT g.importer, g @@ 'importer in list ''watch''' AS watched, g @@ 'importer not in list ''watch''' AS not_watched
  FROM goods g ORDER BY 1, 2;
SELECT try($$SELECT count(*) FROM goods g WHERE g @@ 'importer in list ''nowhere'''$$) AS unknown_list;
SELECT try($$SELECT count(*) FROM goods g WHERE g @@ 'tax_rate > 5'$$) AS missing_column;
CREATE TEMP TABLE wrong_types (hs text, value text);
INSERT INTO wrong_types VALUES ('8471', '5');
SELECT try($$SELECT count(*) FROM wrong_types w WHERE w @@ 'value > 1'$$) AS text_for_number;
SELECT try($$SELECT count(*) FROM wrong_types w WHERE w @@ 'hs <@ 84'$$) AS text_for_hs;
DELETE FROM code_list WHERE list_name = 'watch';
