
-- ===========================================================================
-- Reference data model: offices, traders, declarations, lines, inspections
-- ===========================================================================

CREATE TYPE customs_risk.office_level AS ENUM ('national', 'district', 'house');
COMMENT ON TYPE customs_risk.office_level IS 'national risk centre, district risk centre, or customs house';

CREATE TYPE customs_risk.trader_role AS ENUM ('importer', 'declarant', 'seller', 'courier');
COMMENT ON TYPE customs_risk.trader_role IS 'role a trader plays in declarations: importer, declarant (broker), overseas seller, express courier';

CREATE TYPE customs_risk.transport_mode AS ENUM ('sea', 'rail', 'road', 'air', 'mail', 'other');
COMMENT ON TYPE customs_risk.transport_mode IS 'mode of transport at the border (codes 10 sea, 20 rail, 30 road, 40 air, 50 mail, 90 other)';

CREATE TYPE customs_risk.channel AS ENUM ('green', 'blue', 'yellow', 'red');
COMMENT ON TYPE customs_risk.channel IS
    'clearance channel, least to most intrusive: green release, blue post-clearance audit, yellow documentary check, red physical inspection';

CREATE TYPE customs_risk.selection_source AS ENUM ('profile', 'model', 'random', 'officer', 'external');
COMMENT ON TYPE customs_risk.selection_source IS
    'why a declaration was inspected: a targeting profile, a risk model, random control selection, an officer, or outside this system (imported history)';

CREATE TYPE customs_risk.inspection_result AS ENUM ('none', 'minor', 'critical');
COMMENT ON TYPE customs_risk.inspection_result IS
    'what an inspection found: nothing, a minor discrepancy, or a critical violation (tax evasion, unsafe goods, smuggling)';

-- Offices --------------------------------------------------------------------

CREATE TABLE customs_risk.office (
    office_code text COLLATE "C" PRIMARY KEY CHECK (office_code ~ '^[A-Za-z0-9_-]{1,16}$'),
    name text NOT NULL CHECK (name <> ''),
    level customs_risk.office_level NOT NULL,
    parent_code text COLLATE "C",
    parent_level customs_risk.office_level GENERATED ALWAYS AS (
        CASE level WHEN 'house' THEN 'district'::customs_risk.office_level
                   WHEN 'district' THEN 'national'::customs_risk.office_level END) STORED,
    location geography(Point, 4326),   -- PostGIS, found through the script's search_path
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (office_code, level),
    CHECK ((level = 'national') = (parent_code IS NULL)),
    FOREIGN KEY (parent_code, parent_level) REFERENCES customs_risk.office (office_code, level)
);
CREATE INDEX office_parent_idx ON customs_risk.office (parent_code);
CREATE INDEX office_location_idx ON customs_risk.office USING gist (location);
COMMENT ON TABLE customs_risk.office IS
    'customs offices in three levels: the national risk centre, district risk centres under it, customs houses under those';
COMMENT ON COLUMN customs_risk.office.office_code IS 'office code (for customs houses, the code declarations carry)';
COMMENT ON COLUMN customs_risk.office.name IS 'office name';
COMMENT ON COLUMN customs_risk.office.level IS 'national, district or house';
COMMENT ON COLUMN customs_risk.office.parent_code IS 'the office one level up: district of a house, national centre of a district; NULL for the national centre';
COMMENT ON COLUMN customs_risk.office.parent_level IS 'level the parent must have (derived; enforces the three-level tree)';
COMMENT ON COLUMN customs_risk.office.location IS 'where the office is (WGS 84 point)';
COMMENT ON COLUMN customs_risk.office.created_at IS 'when the row was added';

-- Traders --------------------------------------------------------------------

CREATE TABLE customs_risk.trader (
    trader_id text COLLATE "C" PRIMARY KEY CHECK (trader_id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$'),
    name text,
    roles customs_risk.trader_role[] NOT NULL
        CHECK (cardinality(roles) >= 1 AND array_position(roles, NULL) IS NULL),
    country customs_risk.country_code REFERENCES customs_risk.country (code),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX trader_roles_idx ON customs_risk.trader USING gin (roles);
COMMENT ON TABLE customs_risk.trader IS 'importers, declarants (customs brokers), overseas sellers and express couriers';
COMMENT ON COLUMN customs_risk.trader.trader_id IS 'trader identifier (anonymised in the sample data)';
COMMENT ON COLUMN customs_risk.trader.name IS 'trader name, where known';
COMMENT ON COLUMN customs_risk.trader.roles IS 'roles the trader has been seen in: importer, declarant, seller, courier';
COMMENT ON COLUMN customs_risk.trader.country IS 'country of establishment, where known';
COMMENT ON COLUMN customs_risk.trader.created_at IS 'when the row was added';

-- Declarations -----------------------------------------------------------------

CREATE TABLE customs_risk.declaration (
    declaration_id text COLLATE "C" PRIMARY KEY CHECK (declaration_id ~ '^[A-Za-z0-9][A-Za-z0-9_./-]{0,39}$'),
    declared_on date NOT NULL CHECK (declared_on BETWEEN '1950-01-01' AND '2200-12-31'),
    office_code text COLLATE "C" NOT NULL,
    office_level customs_risk.office_level NOT NULL GENERATED ALWAYS AS ('house') STORED,
    importer_id text COLLATE "C" NOT NULL REFERENCES customs_risk.trader (trader_id),
    declarant_id text COLLATE "C" REFERENCES customs_risk.trader (trader_id),
    seller_id text COLLATE "C" REFERENCES customs_risk.trader (trader_id),
    courier_id text COLLATE "C" REFERENCES customs_risk.trader (trader_id),
    process_type text COLLATE "C" NOT NULL CHECK (process_type ~ '^[A-Z0-9]{1,4}$'),
    import_type text COLLATE "C" NOT NULL CHECK (import_type ~ '^[A-Z0-9]{1,4}$'),
    import_use text COLLATE "C" NOT NULL CHECK (import_use ~ '^[A-Z0-9]{1,4}$'),
    payment_type text COLLATE "C" NOT NULL CHECK (payment_type ~ '^[A-Z0-9]{1,4}$'),
    transport customs_risk.transport_mode NOT NULL,
    departure_country customs_risk.country_code NOT NULL REFERENCES customs_risk.country (code),
    source text COLLATE "C" CHECK (source ~ '^[a-z0-9][a-z0-9_.-]{0,39}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (office_code, office_level) REFERENCES customs_risk.office (office_code, level)
);
CREATE INDEX declaration_office_date_idx ON customs_risk.declaration (office_code, declared_on);
-- Declarations arrive in date order, so a BRIN index serves date ranges at almost no insert cost.
CREATE INDEX declaration_date_idx ON customs_risk.declaration USING brin (declared_on);
CREATE INDEX declaration_importer_idx ON customs_risk.declaration (importer_id, declared_on);
CREATE INDEX declaration_declarant_idx ON customs_risk.declaration (declarant_id, declared_on);
CREATE INDEX declaration_seller_idx ON customs_risk.declaration (seller_id) WHERE seller_id IS NOT NULL;
COMMENT ON TABLE customs_risk.declaration IS 'customs import declarations (entries): one header per declaration, lines in declaration_line';
COMMENT ON COLUMN customs_risk.declaration.declaration_id IS 'declaration number (unique key)';
COMMENT ON COLUMN customs_risk.declaration.declared_on IS 'date the declaration was lodged';
COMMENT ON COLUMN customs_risk.declaration.office_code IS 'customs house that received the declaration';
COMMENT ON COLUMN customs_risk.declaration.office_level IS 'always house (derived; makes the office reference a customs house)';
COMMENT ON COLUMN customs_risk.declaration.importer_id IS 'importer of record';
COMMENT ON COLUMN customs_risk.declaration.declarant_id IS 'declarant (customs broker) who lodged it, if any';
COMMENT ON COLUMN customs_risk.declaration.seller_id IS 'overseas seller (supplier), if known';
COMMENT ON COLUMN customs_risk.declaration.courier_id IS 'express courier, for courier consignments';
COMMENT ON COLUMN customs_risk.declaration.process_type IS 'declaration process: A paperless, B document, D simplified document, ...';
COMMENT ON COLUMN customs_risk.declaration.import_type IS 'transaction type: 11 normal import, 12 OEM, 87 free of charge (samples), ...';
COMMENT ON COLUMN customs_risk.declaration.import_use IS 'purpose of import: 21 domestic consumption, 11 for earning foreign currency, ...';
COMMENT ON COLUMN customs_risk.declaration.payment_type IS 'duty payment: 0 deferred, 11 before acceptance, 12/13/14/18 after acceptance with security, 21 imposed by customs, 43 monthly';
COMMENT ON COLUMN customs_risk.declaration.transport IS 'mode of transport: sea, rail, road, air, mail, other';
COMMENT ON COLUMN customs_risk.declaration.departure_country IS 'country of departure (ISO 3166-1 alpha-2)';
COMMENT ON COLUMN customs_risk.declaration.source IS 'where the row came from: kcs-train, kcs-valid, a generator label, or NULL for operational data';
COMMENT ON COLUMN customs_risk.declaration.created_at IS 'when the row was added';

CREATE TABLE customs_risk.declaration_line (
    declaration_id text COLLATE "C" NOT NULL REFERENCES customs_risk.declaration (declaration_id) ON DELETE CASCADE,
    line_no integer NOT NULL CHECK (line_no BETWEEN 1 AND 9999),
    hs customs_risk.hscode NOT NULL,
    origin_country customs_risk.country_code NOT NULL REFERENCES customs_risk.country (code),
    origin_indicator text COLLATE "C" CHECK (origin_indicator IN ('B', 'E', 'G', 'N', 'S', 'Y')),
    tax_type text COLLATE "C" CHECK (tax_type ~ '^[A-Z0-9]{1,8}$'),
    tax_rate numeric CHECK (tax_rate >= 0 AND tax_rate <= 100000),
    net_mass numeric CHECK (net_mass >= 0 AND net_mass < 'Infinity'),
    value numeric CHECK (value >= 0 AND value < 'Infinity'),
    PRIMARY KEY (declaration_id, line_no)
);
CREATE INDEX declaration_line_hs_idx ON customs_risk.declaration_line (hs);
COMMENT ON TABLE customs_risk.declaration_line IS 'lines (items) of declarations: goods, origin, tax, mass and value';
COMMENT ON COLUMN customs_risk.declaration_line.declaration_id IS 'declaration the line belongs to';
COMMENT ON COLUMN customs_risk.declaration_line.line_no IS 'line (item) number within the declaration, from 1';
COMMENT ON COLUMN customs_risk.declaration_line.hs IS 'HS code of the goods (2 to 10 digits)';
COMMENT ON COLUMN customs_risk.declaration_line.origin_country IS 'country of origin (ISO 3166-1 alpha-2, ZZ unknown)';
COMMENT ON COLUMN customs_risk.declaration_line.origin_indicator IS 'origin marking: B package only, E exempt, G item only, N not marked though required, S not required, Y item and package';
COMMENT ON COLUMN customs_risk.declaration_line.tax_type IS 'tariff rate type: A basic, B provisional, C WTO, F... FTA rates (FCN1 Korea-China, FEU1, FUS1, ...)';
COMMENT ON COLUMN customs_risk.declaration_line.tax_rate IS 'tariff rate in percent';
COMMENT ON COLUMN customs_risk.declaration_line.net_mass IS 'net mass in kg; NULL when unknown (the KCS loader reads a 0 as unknown)';
COMMENT ON COLUMN customs_risk.declaration_line.value IS 'assessed customs value in national currency (KRW in the sample data); NULL when unknown (the KCS loader reads 0.0 as unknown, as the data''s documentation says)';

-- Inspections ------------------------------------------------------------------

CREATE TABLE customs_risk.inspection (
    inspection_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    declaration_id text COLLATE "C" NOT NULL REFERENCES customs_risk.declaration (declaration_id) ON DELETE CASCADE,
    line_no integer,
    channel customs_risk.channel CHECK (channel <> 'green'),
    selected_by customs_risk.selection_source NOT NULL,
    profile_id bigint,
    model_name text COLLATE "C",
    inspected_on date NOT NULL,
    result customs_risk.inspection_result NOT NULL,
    extra_revenue numeric CHECK (extra_revenue >= 0 AND extra_revenue < 'Infinity'),
    officer text,
    notes text,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (declaration_id, line_no) REFERENCES customs_risk.declaration_line (declaration_id, line_no)
        ON DELETE CASCADE,
    CHECK (selected_by <> 'profile' OR profile_id IS NOT NULL),
    CHECK (selected_by <> 'model' OR model_name IS NOT NULL)
);
CREATE INDEX inspection_declaration_idx ON customs_risk.inspection (declaration_id);
CREATE INDEX inspection_date_idx ON customs_risk.inspection USING brin (inspected_on);
CREATE INDEX inspection_profile_idx ON customs_risk.inspection (profile_id) WHERE profile_id IS NOT NULL;
COMMENT ON TABLE customs_risk.inspection IS 'inspections: what was inspected, why it was selected, what was found and the extra revenue';
COMMENT ON COLUMN customs_risk.inspection.inspection_id IS 'inspection number (generated)';
COMMENT ON COLUMN customs_risk.inspection.declaration_id IS 'declaration inspected';
COMMENT ON COLUMN customs_risk.inspection.line_no IS 'line the finding concerns; NULL for the whole declaration';
COMMENT ON COLUMN customs_risk.inspection.channel IS 'channel of the control: blue, yellow or red; NULL when not recorded';
COMMENT ON COLUMN customs_risk.inspection.selected_by IS 'how it was selected: profile, model, random, officer, or external (imported history)';
COMMENT ON COLUMN customs_risk.inspection.profile_id IS 'targeting profile that selected it (when selected_by = profile)';
COMMENT ON COLUMN customs_risk.inspection.model_name IS 'risk model that selected it (when selected_by = model)';
COMMENT ON COLUMN customs_risk.inspection.inspected_on IS 'date of the inspection (the declaration date for imported history)';
COMMENT ON COLUMN customs_risk.inspection.result IS 'finding: none, minor, critical; a hit is minor or critical';
COMMENT ON COLUMN customs_risk.inspection.extra_revenue IS 'extra duty and tax assessed because of the finding; NULL when not assessed';
COMMENT ON COLUMN customs_risk.inspection.officer IS 'officer who carried it out, where recorded';
COMMENT ON COLUMN customs_risk.inspection.notes IS 'free-text notes of the officer';
COMMENT ON COLUMN customs_risk.inspection.recorded_at IS 'when the row was added';

-- pg_dump keeps the rows users put in these tables.
SELECT pg_catalog.pg_extension_config_dump('customs_risk.office', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.trader', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.declaration', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.declaration_line', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.inspection', '');
SELECT pg_catalog.pg_extension_config_dump('customs_risk.inspection_inspection_id_seq', '');
