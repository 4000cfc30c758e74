# lda-run-vars.sh: sourced by scripts that run build/lda and compare or time
# its output (scripts/bench.sh, tests/golden/threads.sh). LDA_RUN_VARS names
# every variable (docs/configuration.md) that changes what lda computes;
# such a script unsets them all so the caller's environment cannot.
LDA_RUN_VARS="LDA_THREADS MAX_EVENTS PSEUDONYMIZE_LOGS PSEUDONYMIZATION_SALT
LAYERING_ORDERS_WINDOW_SECONDS LAYERING_CANCEL_WINDOW_SECONDS
LAYERING_TRADE_WINDOW_SECONDS WASH_WINDOW_SECONDS WASH_MIN_BUY_TRADES
WASH_MIN_SELL_TRADES WASH_MIN_ALTERNATION_PCT WASH_MIN_VOLUME
WASH_PRICE_CHANGE_PCT"
for v in $LDA_RUN_VARS; do
    unset "$v"
done
