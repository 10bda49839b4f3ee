"""The sharing engine: shared records, TLP 2.0 and agreements' enforced terms, and the one access
module through which every read of shared data goes (`sharing.access`)."""
