"""Evaluation harness: routing quality of the retriever and of the whole running bot."""
