"""The open data: the city's figures by neighbourhood, city month and business category, with the
cells about too few people hidden, as CSV and JSON with a Frictionless Data package."""
