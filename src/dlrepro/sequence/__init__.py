"""The sequence study (paper §3.1-3.2): vanilla RNN, LSTM and a Transformer encoder on real text.

- `models`: the three models' names, labels, shared architecture settings and sequential depth (no torch);
- `networks`: the three models as torch modules behind one shared embedding and output head;
- `data`: tokenising, vocabularies, the seeded stratified split, bucketed batches, LM windows, and the
  checks of a user's CSV or text file;
- `settings`: each training job's settings, built when the workflow is parsed;
- `wsd`: the compute ladder on one warm-up-stable-decay trunk with a cool-down branch per budget (one
  job per model and seed trains every budget; resumable);
- `training`: the sentiment classifier's training loop on that ladder and what every loop shares;
  `lm`: the character LM's; `throughput`: step time against sequence length;
- `compute`: each run's counted training FLOPs (the counting rule for both tasks);
- `study`: one run of each task, and the rules' jobs (`dlrepro.runner`);
- `summary`: the results over seeds; `claims`: the claims' criteria and verdicts; `curves`: each
  model's score and the paired gaps against training FLOPs (results/sequence/curves.csv, no torch);
- `report`: the report's LaTeX snippets; `plots`: the study's figures.

Importing the package does nothing; torch is imported by the modules that need it.
"""
