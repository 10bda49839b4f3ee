"""Intelligence: reports, BOLOs, SARs and the observables that let partners' records correlate."""
