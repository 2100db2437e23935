"""Figures: what the city sees of its benefits and publishes. The window of city days and months a
figure covers, the dashboard, the open data with its small cells suppressed, and the
neighbourhoods' public pages. The domains bring their own figures (statistics routes, open-data
sources, parts of the pages); this domain owns what they share."""
