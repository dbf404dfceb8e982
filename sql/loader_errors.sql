-- The KCS loader: a good file loads once, every malformed line is reported by number and leaves the tables as they were.
SET search_path = customs_risk, public;
\i data/kcs_offices.sql
SELECT count(*) FILTER (WHERE level = 'house') AS houses, count(*) FILTER (WHERE level = 'district') AS districts,
       count(*) FILTER (WHERE level = 'national') AS national FROM office;

-- A small file with the Korean header (and its byte-order mark), as bin/load-kcs sends it
BEGIN;
TRUNCATE kcs_staging RESTART IDENTITY;
COPY kcs_staging (c01,c02,c03,c04,c05,c06,c07,c08,c09,c10,c11,c12,c13,c14,c15,c16,c17,c18,c19,c20,c21,c22) FROM STDIN WITH (FORMAT csv);
﻿신고번호,신고일자,신고세관부호,수입신고구분코드,수입거래구분코드,수입종류코드,징수형태코드,운송수단유형코드,신고인부호,수입자,해외거래처부호,특송업체부호,HS10단위부호,적출국가코드,원산지국가코드,관세율,관세율구분코드,원산지표시유무코드,신고중량(KG),과세가격원화금액,우범여부,핵심적발
97061800,2020-01-01,30,B,11,21,11,10,ZZR1LT6,QLRUBN9,0VKY2BR,,4408909195,BE,BE,0.0,FEU1,G,108.0,372254.4,0,0
85945189,2020-01-01,40,B,11,21,11,40,SWF9S4X,7JD1S2X,8WDKMC6,,6907221000,CN,CN,8.0,A,Y,11352.0,0.0,1,1
77854751,2020-02-29,20,B,11,21,11,50,X4XT6P8,WI9O3I5,,CR01,106119000,ZZ,ZZ,5.2,FCN1,B,0.0,5353.02,1,2
\.
SELECT * FROM load_kcs_staging('test-ko');
COMMIT;
SELECT declaration_id, declared_on, office, district, importer, declarant, seller, courier, transport,
       departure, hs, origin, tax_rate, net_mass, value, unit_value
  FROM declaration_line_v ORDER BY declaration_id;
SELECT declaration_id, line_no, selected_by, inspected_on, result FROM inspection ORDER BY declaration_id;
SELECT trader_id, roles FROM trader ORDER BY trader_id;
SELECT count(*) AS staging_rows_left FROM kcs_staging;

-- Loading the same rows again adds nothing
BEGIN;
TRUNCATE kcs_staging RESTART IDENTITY;
COPY kcs_staging (c01,c02,c03,c04,c05,c06,c07,c08,c09,c10,c11,c12,c13,c14,c15,c16,c17,c18,c19,c20,c21,c22) FROM STDIN WITH (FORMAT csv);
Declaration ID,Date,Office ID,Process Type,Import Type,Import Use,Payment Type,Mode of Transport,Declarant ID,Importer ID,Seller ID,Courier ID,HS6 Code,Country of Departure,Country of Origin,Tax Rate,Tax Type,Country of Origin Indicator,Net Mass,Item Price,Fraud,Critical Fraud
97061800,2020-01-01,30,B,11,21,11,10,ZZR1LT6,QLRUBN9,0VKY2BR,,440890,BE,BE,0.0,FEU1,G,108.0,372254.4,0,0
11112222,2020-03-01,30,B,11,21,11,10,ZZR1LT6,QLRUBN9,SWF9S4X,,10121,BE,BE,0.0,FEU1,G,108.0,372254.4,0,0
\.
SELECT * FROM load_kcs_staging('test-en');
COMMIT;
-- the English file has 6-digit codes, padded when a leading zero was lost; SWF9S4X is now also a seller
SELECT declaration_id, hs FROM declaration_line ORDER BY 1;
SELECT trader_id, roles FROM trader WHERE trader_id = 'SWF9S4X';

-- Each malformed line: its case, the error, and the tables untouched.
CREATE FUNCTION pg_temp.load_case(line text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE customs_risk.kcs_staging RESTART IDENTITY;
    INSERT INTO customs_risk.kcs_staging (c01,c02,c03,c04,c05,c06,c07,c08,c09,c10,c11,c12,c13,c14,c15,c16,c17,c18,c19,c20,c21,c22)
    SELECT a[1],a[2],a[3],a[4],a[5],a[6],a[7],a[8],a[9],a[10],a[11],a[12],a[13],a[14],a[15],a[16],a[17],a[18],a[19],a[20],a[21],a[22]
      FROM (VALUES (string_to_array('Declaration ID,Date,Office ID,Process Type,Import Type,Import Use,Payment Type,Mode of Transport,Declarant ID,Importer ID,Seller ID,Courier ID,HS6 Code,Country of Departure,Country of Origin,Tax Rate,Tax Type,Country of Origin Indicator,Net Mass,Item Price,Fraud,Critical Fraud', ',')),
                   (string_to_array('55550000,2020-05-05,30,B,11,21,11,10,DEC1,IMP1,,,847130,CN,CN,8.0,A,Y,1.0,100.0,0,0', ',', '')),
                   (string_to_array(line, ',', ''))) AS v(a)
     WHERE a IS NOT NULL;
    RETURN try('SELECT * FROM customs_risk.load_kcs_staging(''test-bad'')');
END $$;
SELECT pg_temp.load_case('55550001,2020-05-05,30,B,11,21,11,10,DEC1,IMP1,,,847130,CN,CN,8.0,A,Y,1.0,100.0,0,0') AS good_lines_load;
SELECT (SELECT count(*) FROM declaration) AS declarations, (SELECT count(*) FROM declaration_line) AS lines,
       (SELECT count(*) FROM inspection) AS inspections, (SELECT count(*) FROM trader) AS traders;
SELECT what, pg_temp.load_case(line) AS result FROM (VALUES
  ('empty declaration id', ',2020-05-05,30,B,11,21,11,10,DEC1,IMP1,,,847130,CN,CN,8.0,A,Y,1.0,100.0,0,0'),
  ('declaration id with a quote', '5555''1,2020-05-05,30,B,11,21,11,10,DEC1,IMP1,,,847130,CN,CN,8.0,A,Y,1.0,100.0,0,0'),
  ('date in another format', '55550001,05/05/2020,30,B,11,21,11,10,DEC1,IMP1,,,847130,CN,CN,8.0,A,Y,1.0,100.0,0,0'),
  ('date that does not exist', '55550001,2021-02-29,30,B,11,21,11,10,DEC1,IMP1,,,847130,CN,CN,8.0,A,Y,1.0,100.0,0,0'),
  ('unknown office', '55550001,2020-05-05,999,B,11,21,11,10,DEC1,IMP1,,,847130,CN,CN,8.0,A,Y,1.0,100.0,0,0'),
  ('a district as office', '55550001,2020-05-05,RC-BUSAN,B,11,21,11,10,DEC1,IMP1,,,847130,CN,CN,8.0,A,Y,1.0,100.0,0,0'),
  ('lower-case process type', '55550001,2020-05-05,30,b,11,21,11,10,DEC1,IMP1,,,847130,CN,CN,8.0,A,Y,1.0,100.0,0,0'),
  ('unknown transport code', '55550001,2020-05-05,30,B,11,21,11,60,DEC1,IMP1,,,847130,CN,CN,8.0,A,Y,1.0,100.0,0,0'),
  ('missing importer', '55550001,2020-05-05,30,B,11,21,11,10,DEC1,,,,847130,CN,CN,8.0,A,Y,1.0,100.0,0,0'),
  ('seller id with spaces', '55550001,2020-05-05,30,B,11,21,11,10,DEC1,IMP1,A B,,847130,CN,CN,8.0,A,Y,1.0,100.0,0,0'),
  ('HS code with letters', '55550001,2020-05-05,30,B,11,21,11,10,DEC1,IMP1,,,84A130,CN,CN,8.0,A,Y,1.0,100.0,0,0'),
  ('HS code too short', '55550001,2020-05-05,30,B,11,21,11,10,DEC1,IMP1,,,8471,CN,CN,8.0,A,Y,1.0,100.0,0,0'),
  ('HS chapter 00', '55550001,2020-05-05,30,B,11,21,11,10,DEC1,IMP1,,,00130,CN,CN,8.0,A,Y,1.0,100.0,0,0'),
  ('unknown departure country', '55550001,2020-05-05,30,B,11,21,11,10,DEC1,IMP1,,,847130,XX,CN,8.0,A,Y,1.0,100.0,0,0'),
  ('alpha-3 origin', '55550001,2020-05-05,30,B,11,21,11,10,DEC1,IMP1,,,847130,CN,CHN,8.0,A,Y,1.0,100.0,0,0'),
  ('negative tax rate', '55550001,2020-05-05,30,B,11,21,11,10,DEC1,IMP1,,,847130,CN,CN,-8.0,A,Y,1.0,100.0,0,0'),
  ('origin indicator Q', '55550001,2020-05-05,30,B,11,21,11,10,DEC1,IMP1,,,847130,CN,CN,8.0,A,Q,1.0,100.0,0,0'),
  ('negative mass', '55550001,2020-05-05,30,B,11,21,11,10,DEC1,IMP1,,,847130,CN,CN,8.0,A,Y,-1.0,100.0,0,0'),
  ('NaN mass', '55550001,2020-05-05,30,B,11,21,11,10,DEC1,IMP1,,,847130,CN,CN,8.0,A,Y,NaN,100.0,0,0'),
  ('infinite price', '55550001,2020-05-05,30,B,11,21,11,10,DEC1,IMP1,,,847130,CN,CN,8.0,A,Y,1.0,Infinity,0,0'),
  ('price in exponent form', '55550001,2020-05-05,30,B,11,21,11,10,DEC1,IMP1,,,847130,CN,CN,8.0,A,Y,1.0,1e999,0,0'),
  ('missing price', '55550001,2020-05-05,30,B,11,21,11,10,DEC1,IMP1,,,847130,CN,CN,8.0,A,Y,1.0,,0,0'),
  ('critical without fraud', '55550001,2020-05-05,30,B,11,21,11,10,DEC1,IMP1,,,847130,CN,CN,8.0,A,Y,1.0,100.0,0,2'),
  ('fraud 3', '55550001,2020-05-05,30,B,11,21,11,10,DEC1,IMP1,,,847130,CN,CN,8.0,A,Y,1.0,100.0,3,0'),
  ('same declaration twice', '55550000,2020-05-05,30,B,11,21,11,10,DEC1,IMP1,,,847130,CN,CN,8.0,A,Y,1.0,100.0,0,0')
) AS t(what, line);
-- the same counts as before the bad lines
SELECT (SELECT count(*) FROM declaration) AS declarations, (SELECT count(*) FROM declaration_line) AS lines,
       (SELECT count(*) FROM inspection) AS inspections, (SELECT count(*) FROM trader) AS traders;

-- Wrong header, empty file, bad source label
TRUNCATE kcs_staging RESTART IDENTITY;
INSERT INTO kcs_staging (c01, c02) VALUES ('id', 'date');
SELECT try($$SELECT * FROM customs_risk.load_kcs_staging('test-bad')$$) AS wrong_header;
TRUNCATE kcs_staging RESTART IDENTITY;
SELECT try($$SELECT * FROM customs_risk.load_kcs_staging('test-bad')$$) AS empty_file;
SELECT try($$SELECT * FROM customs_risk.load_kcs_staging('Bad Label; DROP TABLE x')$$) AS bad_label,
       try($$SELECT * FROM customs_risk.load_kcs_staging(NULL)$$) AS null_label;
-- A line with too many columns is stopped by COPY itself, naming the line
COPY kcs_staging (c01,c02,c03,c04,c05,c06,c07,c08,c09,c10,c11,c12,c13,c14,c15,c16,c17,c18,c19,c20,c21,c22) FROM STDIN WITH (FORMAT csv);
Declaration ID,Date,Office ID,Process Type,Import Type,Import Use,Payment Type,Mode of Transport,Declarant ID,Importer ID,Seller ID,Courier ID,HS6 Code,Country of Departure,Country of Origin,Tax Rate,Tax Type,Country of Origin Indicator,Net Mass,Item Price,Fraud,Critical Fraud
55550001,2020-05-05,30,B,11,21,11,10,DEC1,IMP1,,,847130,CN,CN,8.0,A,Y,1.0,100.0,0,0,extra
\.
SELECT count(*) AS staging_rows_after_failed_copy FROM kcs_staging;
