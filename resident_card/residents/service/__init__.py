"""The rules of residents, one module per sub-domain: records (what every package reads, and
writing a record), enrolment, wards, residency (the clerk's desk) and registry_import."""
