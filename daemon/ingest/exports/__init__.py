"""Reading export archives <UAI>.zip: safe zip, layout, test de cohérence, headcount,
and recording them."""
