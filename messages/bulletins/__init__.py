"""The city's notices per neighbourhood: a clerk posts one for some neighbourhoods (or the whole
city) and the days it is current; anyone reads the current ones, and the residents of those
neighbourhoods find them in their inbox."""
