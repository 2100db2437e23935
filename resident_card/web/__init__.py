"""The card's pages: enrolment, sign-in, the resident's wallet and the clerk's desk."""
