-- The risk pipeline on the sample: a few targeting profiles, a batch selection for one busy day,
-- and one decision as an officer sees it.  Run by bin/demo; idempotent.
SET search_path = customs_risk, public;
\pset null '-'

INSERT INTO profile (name, criteria, channel, weight, description, status, valid_from, owner_office)
VALUES ('cheap garments', 'hs <@ (61, 62) and unit_value < 5000', 'red', 3,
        'Garments declared under 5,000 KRW/kg: check the invoice against the reference price', 'active', '2020-01-01', 'NRC'),
       ('computers from CN or VN', 'hs <@ 8471 and origin in (CN, VN)', 'yellow', 2,
        'Computers: check origin certificates and unit price', 'active', '2020-01-01', 'NRC'),
       ('unmarked origin', 'origin_indicator = N', 'yellow', 1,
        'Origin marking missing although required: inspect the marking', 'active', '2020-01-01', 'NRC'),
       ('heavy toys in Busan', 'hs <@ 95 and net_mass > 1000', 'red', 2,
        'Toy safety: sample for testing', 'active', '2020-01-01', 'RC-BUSAN')
ON CONFLICT (name) DO NOTHING;
INSERT INTO channel_policy (office_code, share_red, share_yellow, share_blue, random_rate, daily_capacity)
VALUES ('NRC', 0.03, 0.07, 0.02, 0.02, NULL), ('40', 0.03, 0.07, 0.02, 0.02, 15)
ON CONFLICT (office_code) DO NOTHING;

\echo
\echo '### Targeting profiles'
SELECT profile_id AS id, name, criteria, channel, weight, owner_office AS owner FROM profile WHERE status = 'active' ORDER BY 1;

\echo
\echo '### Batch selection for 2020-03-02 (profile hits, random control sample, capacity, top-up)'
SELECT * FROM select_for_day('2020-03-02') WHERE declarations >= 10;

\echo
\echo '### One decision, as the officer sees it'
SELECT d.declaration_id, d.channel, d.score, d.reasons, d.random, d.profile_set_version
  FROM (SELECT declaration_id FROM declaration_line_v
         WHERE hs <@ '61' AND unit_value < 5000 ORDER BY declaration_id LIMIT 1) x,
       LATERAL decide(x.declaration_id) d;
