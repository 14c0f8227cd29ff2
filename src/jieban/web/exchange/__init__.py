"""The exchange with the outside's pages."""
