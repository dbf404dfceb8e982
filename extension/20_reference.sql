
-- ===========================================================================
-- Reference data: countries and the 21 WCO sections
-- ===========================================================================

CREATE DOMAIN customs_risk.country_code AS text COLLATE "C"
    CHECK (VALUE ~ '^[A-Z]{2}$');
COMMENT ON DOMAIN customs_risk.country_code IS
    'ISO 3166-1 alpha-2 country code in capitals (ZZ = unknown); columns of this domain also reference table country';

CREATE TABLE customs_risk.country (
    code customs_risk.country_code PRIMARY KEY,
    name text NOT NULL
);
COMMENT ON TABLE customs_risk.country IS 'ISO 3166-1 alpha-2 country codes, plus ZZ for unknown';
COMMENT ON COLUMN customs_risk.country.code IS 'two-letter ISO 3166-1 code';
COMMENT ON COLUMN customs_risk.country.name IS 'English short name';

CREATE TABLE customs_risk.hs_sections (
    section integer PRIMARY KEY CHECK (section BETWEEN 1 AND 21),
    roman text NOT NULL UNIQUE,
    first_chapter integer NOT NULL CHECK (first_chapter BETWEEN 1 AND 97),
    last_chapter integer NOT NULL CHECK (last_chapter BETWEEN 1 AND 97),
    title text NOT NULL,
    CHECK (first_chapter <= last_chapter)
);
COMMENT ON TABLE customs_risk.hs_sections IS
    'The 21 sections of the Harmonized System (HS 2022) as chapter ranges; hs_section() uses the same ranges';
COMMENT ON COLUMN customs_risk.hs_sections.section IS 'section number 1..21';
COMMENT ON COLUMN customs_risk.hs_sections.roman IS 'section number as printed in the nomenclature (I..XXI)';
COMMENT ON COLUMN customs_risk.hs_sections.first_chapter IS 'first chapter of the section';
COMMENT ON COLUMN customs_risk.hs_sections.last_chapter IS 'last chapter of the section';
COMMENT ON COLUMN customs_risk.hs_sections.title IS 'short title of the section';

INSERT INTO customs_risk.hs_sections (section, roman, first_chapter, last_chapter, title) VALUES
    (1, 'I', 1, 5, 'Live animals; animal products'),
    (2, 'II', 6, 14, 'Vegetable products'),
    (3, 'III', 15, 15, 'Animal, vegetable or microbial fats and oils'),
    (4, 'IV', 16, 24, 'Prepared foodstuffs; beverages, spirits and vinegar; tobacco'),
    (5, 'V', 25, 27, 'Mineral products'),
    (6, 'VI', 28, 38, 'Products of the chemical or allied industries'),
    (7, 'VII', 39, 40, 'Plastics and rubber, and articles thereof'),
    (8, 'VIII', 41, 43, 'Raw hides and skins, leather, furskins; travel goods, handbags'),
    (9, 'IX', 44, 46, 'Wood, cork, straw and basketware'),
    (10, 'X', 47, 49, 'Pulp of wood; paper and paperboard; printed matter'),
    (11, 'XI', 50, 63, 'Textiles and textile articles'),
    (12, 'XII', 64, 67, 'Footwear, headgear, umbrellas; prepared feathers; artificial flowers'),
    (13, 'XIII', 68, 70, 'Articles of stone, plaster, cement, asbestos, mica; ceramics; glass'),
    (14, 'XIV', 71, 71, 'Pearls, precious stones and metals; imitation jewellery; coin'),
    (15, 'XV', 72, 83, 'Base metals and articles of base metal'),
    (16, 'XVI', 84, 85, 'Machinery and mechanical appliances; electrical equipment'),
    (17, 'XVII', 86, 89, 'Vehicles, aircraft, vessels and transport equipment'),
    (18, 'XVIII', 90, 92, 'Optical, photographic, measuring, medical instruments; clocks; musical instruments'),
    (19, 'XIX', 93, 93, 'Arms and ammunition'),
    (20, 'XX', 94, 96, 'Miscellaneous manufactured articles'),
    (21, 'XXI', 97, 97, 'Works of art, collectors'' pieces and antiques');
