-- Reference tables: the 21 WCO sections and ISO 3166-1 countries.
SET search_path = customs_risk, public;

-- hs_section() and table hs_sections agree on every chapter 1..97
SELECT count(*) AS chapters_checked,
       count(*) FILTER (WHERE s.section IS DISTINCT FROM hs_section(lpad(c::text, 2, '0')::hscode)) AS mismatches
  FROM generate_series(1, 97) AS c
  LEFT JOIN hs_sections s ON c BETWEEN s.first_chapter AND s.last_chapter;
-- the sections tile chapters 1..97 without gaps or overlaps
SELECT bool_and(first_chapter = coalesce(prev_last, 0) + 1) AS contiguous, max(last_chapter) AS last
  FROM (SELECT first_chapter, last_chapter, lag(last_chapter) OVER (ORDER BY section) AS prev_last
          FROM hs_sections) t;
SELECT section, roman, first_chapter, last_chapter FROM hs_sections WHERE section IN (1, 11, 16, 21) ORDER BY 1;

-- countries: ISO 3166-1 alpha-2 plus ZZ for unknown
SELECT count(*) AS countries, count(*) FILTER (WHERE code !~ '^[A-Z]{2}$') AS malformed FROM country;
SELECT code, name FROM country WHERE code IN ('CN', 'KR', 'US', 'VN', 'ZZ') ORDER BY code;
SELECT try($$SELECT 'cn'::customs_risk.country_code$$) AS lower_case,
       try($$SELECT 'CHN'::customs_risk.country_code$$) AS alpha3,
       try($$SELECT ''::customs_risk.country_code$$) AS empty;
