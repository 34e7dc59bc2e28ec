"""The sequence study (paper §3.1-3.2): vanilla RNN, LSTM and a Transformer encoder on real text.

- `models`: the three sequence models behind one shared embedding and output head;
- `data`: tokenising, vocabularies, the seeded stratified split, bucketed batches, LM windows;
- `training`: the sentiment classifier and the character LM training loops (resumable), throughput;
- `study`: summaries over seeds, the claims' criteria and verdicts, the report's LaTeX snippets;
- `plots`: the study's figures.

Importing the package does nothing; torch is imported by the modules that need it.
"""
