-- How the scores of the days $first..$last spread, in bands of ten points (the score plot).
SELECT least(floor(score / 10), 9)::INTEGER * 10 AS band, count(*) AS entities
FROM risk.scores
WHERE business_date BETWEEN $first AND $last
GROUP BY band
ORDER BY band
