# lint.mk: static checks (scripts/lint.sh), run by make test: the
# sources formatted as .clang-format says (clang-format --dry-run over src/,
# tests/unit, tests/fuzz), cppcheck over src/, and no exported symbol of a
# src/ object that no other object of the build uses. Builds first: the
# symbol check reads the objects of this MODE, $(B)/obj (build/obj for the
# release build).
#
#   make lint                              every check
#   make lint LINT_VERBOSE=1               every clang-format diagnostic
#   make lint LINT_OBJ_DIR=DIR             the symbol check on DIR's objects

LINT_OBJ_DIR ?= $(B)/obj

.PHONY: lint
lint: all
	LINT_OBJ_DIR=$(LINT_OBJ_DIR) sh scripts/lint.sh
