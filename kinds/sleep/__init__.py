"""The demo kind: sleeps, reports progress, makes a result of a chosen size."""
