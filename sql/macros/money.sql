-- Exact money helpers. Minor units times a decimal power of ten stays DECIMAL; dividing would
-- silently turn into DOUBLE, so there is no division here.
CREATE OR REPLACE MACRO minor_to_amount(minor, exponent) AS
    CAST(CAST(minor AS DECIMAL(38, 2)) * CASE exponent WHEN 0 THEN 1 WHEN 1 THEN 0.1 WHEN 2 THEN 0.01 END
         AS DECIMAL(18, 2));

-- Conversion to base currency, rounded half away from zero to the cent.
CREATE OR REPLACE MACRO to_base_amount(amount, rate) AS
    CAST(round(CAST(amount AS DECIMAL(38, 2)) * CAST(rate AS DECIMAL(38, 8)), 2) AS DECIMAL(18, 2));
