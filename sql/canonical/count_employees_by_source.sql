-- canonical.employees by where each employee is known from (register, d365, register+d365).
SELECT sources, count(*) FROM canonical.employees GROUP BY ALL ORDER BY ALL
