-- card_brands: the brands a sale's card may carry, by index (1-based, as the brand-share list
-- sandbox.card_brands.CARD_BRANDS draws from), with the fees the batches charge on them.
CREATE TABLE card_brands (brand_index INTEGER, brand VARCHAR, fee_rate_bp BIGINT, fee_per_sale BIGINT);
