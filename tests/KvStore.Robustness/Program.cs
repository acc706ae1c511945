// The robustness tool: runs the harness for a duration and seed and checks the history (see README, "How
// correctness is checked"). The harness and checkers fill this in.
return 0;
