-- Exact money helpers. There is no division here: DuckDB turns DECIMAL division into DOUBLE.
--
-- Minor units to a DECIMAL(18,2) amount. The factors are chosen so every intermediate stays a
-- DECIMAL of width 18 or less, which DuckDB computes in 64-bit integers: DECIMAL(16,0) × 0.01
-- (DECIMAL(2,2)) is exactly DECIMAL(18,2). Up to 15 digits of minor units fit (the raw layer
-- refuses longer amounts). Exponents above 2 give NULL and the row is flagged unsupported.
CREATE OR REPLACE MACRO minor_to_amount(minor, exponent) AS
    CASE exponent
        WHEN 2 THEN CAST(CAST(minor AS DECIMAL(16, 0)) * CAST(0.01 AS DECIMAL(2, 2)) AS DECIMAL(18, 2))
        WHEN 0 THEN CAST(minor AS DECIMAL(18, 2))
        WHEN 1 THEN CAST(CAST(minor AS DECIMAL(16, 0)) * CAST(0.1 AS DECIMAL(2, 1)) AS DECIMAL(18, 2))
    END;

-- Conversion to base currency, rounded half away from zero to the cent. The product needs more
-- than 18 digits, so it is computed at full width before rounding.
CREATE OR REPLACE MACRO to_base_amount(amount, rate) AS
    CAST(round(CAST(amount AS DECIMAL(38, 2)) * CAST(rate AS DECIMAL(38, 8)), 2) AS DECIMAL(18, 2));
