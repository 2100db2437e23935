"""Appeals: a resident (or a guardian for a ward) asks a clerk to look again at a refused decision;
a granted appeal yields the benefit through the rules path, as a recorded override."""
