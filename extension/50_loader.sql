
-- ===========================================================================
-- Loader for the bundled Korea Customs Service sample files (bin/load-kcs)
-- The client copies each CSV file into kcs_staging, then calls load_kcs_staging()
-- inside the same transaction, so a bad file leaves the tables as they were.
-- ===========================================================================

CREATE UNLOGGED TABLE customs_risk.kcs_staging (
    line_no bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    c01 text, c02 text, c03 text, c04 text, c05 text, c06 text, c07 text, c08 text,
    c09 text, c10 text, c11 text, c12 text, c13 text, c14 text, c15 text, c16 text,
    c17 text, c18 text, c19 text, c20 text, c21 text, c22 text
);
COMMENT ON TABLE customs_risk.kcs_staging IS
    'scratch table of the KCS loader: one row per CSV line (line 1 is the header), columns in file order; emptied by every load';
COMMENT ON COLUMN customs_risk.kcs_staging.line_no IS 'line number in the file, 1 = header';
COMMENT ON COLUMN customs_risk.kcs_staging.c01 IS 'Declaration ID';
COMMENT ON COLUMN customs_risk.kcs_staging.c02 IS 'Date';
COMMENT ON COLUMN customs_risk.kcs_staging.c03 IS 'Office ID';
COMMENT ON COLUMN customs_risk.kcs_staging.c04 IS 'Process Type';
COMMENT ON COLUMN customs_risk.kcs_staging.c05 IS 'Import Type';
COMMENT ON COLUMN customs_risk.kcs_staging.c06 IS 'Import Use';
COMMENT ON COLUMN customs_risk.kcs_staging.c07 IS 'Payment Type';
COMMENT ON COLUMN customs_risk.kcs_staging.c08 IS 'Mode of Transport';
COMMENT ON COLUMN customs_risk.kcs_staging.c09 IS 'Declarant ID';
COMMENT ON COLUMN customs_risk.kcs_staging.c10 IS 'Importer ID';
COMMENT ON COLUMN customs_risk.kcs_staging.c11 IS 'Seller ID';
COMMENT ON COLUMN customs_risk.kcs_staging.c12 IS 'Courier ID';
COMMENT ON COLUMN customs_risk.kcs_staging.c13 IS 'HS code (10 digits in the Korean-header files, 6 in the English ones; leading zero lost)';
COMMENT ON COLUMN customs_risk.kcs_staging.c14 IS 'Country of Departure';
COMMENT ON COLUMN customs_risk.kcs_staging.c15 IS 'Country of Origin';
COMMENT ON COLUMN customs_risk.kcs_staging.c16 IS 'Tax Rate';
COMMENT ON COLUMN customs_risk.kcs_staging.c17 IS 'Tax Type';
COMMENT ON COLUMN customs_risk.kcs_staging.c18 IS 'Country of Origin Indicator';
COMMENT ON COLUMN customs_risk.kcs_staging.c19 IS 'Net Mass';
COMMENT ON COLUMN customs_risk.kcs_staging.c20 IS 'Item Price';
COMMENT ON COLUMN customs_risk.kcs_staging.c21 IS 'Fraud';
COMMENT ON COLUMN customs_risk.kcs_staging.c22 IS 'Critical Fraud';

CREATE FUNCTION customs_risk.load_kcs_staging(source text)
RETURNS TABLE (source_label text, rows_read bigint, declarations_added bigint,
               declarations_present bigint, traders_added bigint, inspections_added bigint)
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    header text[];
    korean constant text[] := ARRAY['신고번호', '신고일자', '신고세관부호', '수입신고구분코드',
        '수입거래구분코드', '수입종류코드', '징수형태코드', '운송수단유형코드', '신고인부호', '수입자',
        '해외거래처부호', '특송업체부호', 'HS10단위부호', '적출국가코드', '원산지국가코드', '관세율',
        '관세율구분코드', '원산지표시유무코드', '신고중량(KG)', '과세가격원화금액', '우범여부', '핵심적발'];
    english constant text[] := ARRAY['Declaration ID', 'Date', 'Office ID', 'Process Type',
        'Import Type', 'Import Use', 'Payment Type', 'Mode of Transport', 'Declarant ID',
        'Importer ID', 'Seller ID', 'Courier ID', 'HS6 Code', 'Country of Departure',
        'Country of Origin', 'Tax Rate', 'Tax Type', 'Country of Origin Indicator', 'Net Mass',
        'Item Price', 'Fraud', 'Critical Fraud'];
    hs_width integer;
    bad record;
    n_rows bigint;
    n_decl bigint;
    n_insp bigint;
    n_traders bigint;
BEGIN
    IF source IS NULL OR source !~ '^[a-z0-9][a-z0-9_.-]{0,39}$' THEN
        RAISE EXCEPTION 'invalid source label %', coalesce(quote_literal(source), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use lower-case letters, digits, dot, dash or underscore, as in kcs-train.';
    END IF;

    SELECT ARRAY[ltrim(c01, U&'\FEFF'), c02, c03, c04, c05, c06, c07, c08, c09, c10, c11,
                 c12, c13, c14, c15, c16, c17, c18, c19, c20, c21, c22]
      INTO header FROM customs_risk.kcs_staging WHERE line_no = 1;
    IF header IS NULL THEN
        RAISE EXCEPTION 'KCS file for source % is empty', source USING ERRCODE = 'bad_copy_file_format';
    ELSIF header = korean THEN
        hs_width := 10;
    ELSIF header = english THEN
        hs_width := 6;
    ELSE
        RAISE EXCEPTION 'KCS file for source % has an unexpected header on line 1', source
            USING ERRCODE = 'bad_copy_file_format',
                  DETAIL = format('Got %s.', array_to_string(header, ',', '<empty>')),
                  HINT = 'Expected the 22 columns of df_syn_*.csv (Korean header) or df_syn_*_eng.csv (English header).';
    END IF;

    -- The first line with a bad value, checked in column order; nested CASEs keep casts safe.
    SELECT s.line_no, p.problem INTO bad
      FROM customs_risk.kcs_staging s
      LEFT JOIN customs_risk.office o ON o.office_code = s.c03 AND o.level = 'house'
      LEFT JOIN customs_risk.country cd ON cd.code = s.c14
      LEFT JOIN customs_risk.country co ON co.code = s.c15
     CROSS JOIN LATERAL (SELECT CASE
        WHEN coalesce(s.c01, '') !~ '^[A-Za-z0-9][A-Za-z0-9_./-]{0,39}$' THEN
            format('Declaration ID %L is not a declaration number', s.c01)
        WHEN coalesce(s.c02, '') !~ '^(19[5-9]\d|20\d\d|21\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$' THEN
            format('Date %L is not a date written YYYY-MM-DD', s.c02)
        WHEN substr(s.c02, 9, 2)::int > extract(day from make_date(substr(s.c02, 1, 4)::int,
                 substr(s.c02, 6, 2)::int, 1) + interval '1 month - 1 day') THEN
            format('Date %L does not exist', s.c02)
        WHEN o.office_code IS NULL THEN
            format('Office ID %L is not a customs house in table office', s.c03)
        WHEN coalesce(s.c04, '') !~ '^[A-Z0-9]{1,4}$' THEN format('Process Type %L is not a code', s.c04)
        WHEN coalesce(s.c05, '') !~ '^[A-Z0-9]{1,4}$' THEN format('Import Type %L is not a code', s.c05)
        WHEN coalesce(s.c06, '') !~ '^[A-Z0-9]{1,4}$' THEN format('Import Use %L is not a code', s.c06)
        WHEN coalesce(s.c07, '') !~ '^[A-Z0-9]{1,4}$' THEN format('Payment Type %L is not a code', s.c07)
        WHEN coalesce(s.c08, '') NOT IN ('10', '20', '30', '40', '50', '90') THEN
            format('Mode of Transport %L is not one of 10, 20, 30, 40, 50, 90', s.c08)
        WHEN s.c09 !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$' THEN format('Declarant ID %L is not a trader id', s.c09)
        WHEN coalesce(s.c10, '') !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$' THEN
            format('Importer ID %L is not a trader id', s.c10)
        WHEN s.c11 !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$' THEN format('Seller ID %L is not a trader id', s.c11)
        WHEN s.c12 !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$' THEN format('Courier ID %L is not a trader id', s.c12)
        WHEN coalesce(s.c13, '') !~ format('^\d{%s,%s}$', hs_width - 1, hs_width) THEN
            format('HS code %L is not a %s-digit code', s.c13, hs_width)
        WHEN left(lpad(s.c13, hs_width, '0'), 2) = '00' THEN format('HS code %L has chapter 00', s.c13)
        WHEN cd.code IS NULL THEN
            format('Country of Departure %L is not an ISO 3166-1 alpha-2 code', s.c14)
        WHEN co.code IS NULL THEN
            format('Country of Origin %L is not an ISO 3166-1 alpha-2 code', s.c15)
        WHEN coalesce(s.c16, '') !~ '^\d{1,5}(\.\d{1,20})?$' THEN
            format('Tax Rate %L is not a percentage from 0 to 99999', s.c16)
        WHEN coalesce(s.c17, '') !~ '^[A-Z0-9]{1,8}$' THEN format('Tax Type %L is not a code', s.c17)
        WHEN coalesce(s.c18, '') NOT IN ('B', 'E', 'G', 'N', 'S', 'Y') THEN
            format('Country of Origin Indicator %L is not one of B, E, G, N, S, Y', s.c18)
        WHEN coalesce(s.c19, '') !~ '^\d{1,15}(\.\d{1,20})?$' THEN
            format('Net Mass %L is not a non-negative number', s.c19)
        WHEN coalesce(s.c20, '') !~ '^\d{1,15}(\.\d{1,20})?$' THEN
            format('Item Price %L is not a non-negative number', s.c20)
        WHEN (coalesce(s.c21, ''), coalesce(s.c22, '')) NOT IN (('0', '0'), ('1', '1'), ('1', '2')) THEN
            format('Fraud %L with Critical Fraud %L is not one of 0/0, 1/1, 1/2', s.c21, s.c22)
        END) AS p(problem)
     WHERE s.line_no > 1 AND p.problem IS NOT NULL
     ORDER BY s.line_no
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'malformed KCS file for source %: line %: %', source, bad.line_no, bad.problem
            USING ERRCODE = 'bad_copy_file_format';
    END IF;

    SELECT s.c01 AS id, min(s.line_no) AS first_line, max(s.line_no) AS last_line INTO bad
      FROM customs_risk.kcs_staging s WHERE s.line_no > 1
     GROUP BY s.c01 HAVING count(*) > 1 ORDER BY 2 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'malformed KCS file for source %: Declaration ID % appears on lines % and %',
            source, bad.id, bad.first_line, bad.last_line
            USING ERRCODE = 'bad_copy_file_format';
    END IF;

    SELECT count(*) INTO n_rows FROM customs_risk.kcs_staging s WHERE s.line_no > 1;

    -- Traders, with every role they appear in; a known trader gains new roles.
    WITH seen AS (
        SELECT c10 AS id, 'importer'::customs_risk.trader_role AS role FROM customs_risk.kcs_staging WHERE line_no > 1
        UNION SELECT c09, 'declarant' FROM customs_risk.kcs_staging WHERE line_no > 1 AND c09 IS NOT NULL
        UNION SELECT c11, 'seller' FROM customs_risk.kcs_staging WHERE line_no > 1 AND c11 IS NOT NULL
        UNION SELECT c12, 'courier' FROM customs_risk.kcs_staging WHERE line_no > 1 AND c12 IS NOT NULL
    ), upserted AS (
        INSERT INTO customs_risk.trader AS t (trader_id, roles)
        SELECT id, array_agg(role ORDER BY role) FROM seen GROUP BY id
        ON CONFLICT (trader_id) DO UPDATE
           SET roles = ARRAY(SELECT DISTINCT r FROM unnest(t.roles || excluded.roles) AS r ORDER BY r)
         WHERE NOT t.roles @> excluded.roles
        RETURNING xmax = 0 AS inserted
    )
    SELECT count(*) FILTER (WHERE inserted) INTO n_traders FROM upserted;

    -- Declarations not loaded before, then their line and inspection.
    WITH src AS (
        SELECT * FROM customs_risk.kcs_staging WHERE line_no > 1
    ), added AS (
        INSERT INTO customs_risk.declaration AS d
            (declaration_id, declared_on, office_code, importer_id, declarant_id, seller_id, courier_id,
             process_type, import_type, import_use, payment_type, transport, departure_country, source)
        SELECT c01, c02::date, c03, c10, c09, c11, c12, c04, c05, c06, c07,
               (CASE c08 WHEN '10' THEN 'sea' WHEN '20' THEN 'rail' WHEN '30' THEN 'road'
                         WHEN '40' THEN 'air' WHEN '50' THEN 'mail' ELSE 'other' END)::customs_risk.transport_mode,
               c14, source
          FROM src ORDER BY line_no
        ON CONFLICT (declaration_id) DO NOTHING
        RETURNING d.declaration_id
    ), lines AS (
        -- office_code (95_access.sql) is given here rather than looked up per row by its trigger
        INSERT INTO customs_risk.declaration_line
            (declaration_id, line_no, hs, origin_country, origin_indicator, tax_type, tax_rate, net_mass, value,
             office_code)
        SELECT c01, 1, customs_risk.hscode(lpad(c13, hs_width, '0')), c15, c18, c17, c16::numeric,
               nullif(c19::numeric, 0), nullif(c20::numeric, 0),   -- 0 means unknown in this data
               c03
          FROM src JOIN added ON added.declaration_id = src.c01
        RETURNING 1
    ), insp AS (
        INSERT INTO customs_risk.inspection (declaration_id, line_no, selected_by, inspected_on, result, office_code)
        SELECT c01, 1, 'external', c02::date,
               (CASE WHEN c21 = '0' THEN 'none' WHEN c22 = '2' THEN 'critical' ELSE 'minor' END)
                   ::customs_risk.inspection_result, c03
          FROM src JOIN added ON added.declaration_id = src.c01
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM added), (SELECT count(*) FROM insp) INTO n_decl, n_insp;

    TRUNCATE customs_risk.kcs_staging RESTART IDENTITY;

    RETURN QUERY SELECT source, n_rows, n_decl, n_rows - n_decl, n_traders, n_insp;
END
$fn$;
COMMENT ON FUNCTION customs_risk.load_kcs_staging(text) IS
    'validate the KCS sample file copied into kcs_staging and add its declarations, lines, traders and inspections; rows already loaded are skipped; any bad line raises 22P04 naming the line';
