"""Customer master data: golden customers, their cross-references and the review queue."""
