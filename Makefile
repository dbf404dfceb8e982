# customs_risk: PGXS build.  `make`, `make install`, `make installcheck`.
EXTENSION  = customs_risk
EXTVERSION = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big = customs_risk
OBJS = src/customs_risk.o src/office_tree.o src/policy_cache.o src/kept_set.o src/hscode_core.o src/hscode.o src/hscode_index.o \
       src/criteria_core.o src/criteria.o src/row_reader.o src/code_list.o \
       src/profile_match.o src/selection.o src/column_args.o src/anchor_table.o \
       src/profile_summary.o src/numeric_double.o src/singleton_row.o src/sha256_core.o \
       src/beta_core.o src/hit_evidence.o src/ranking_eval.o src/price_ref.o \
       src/gbdt_core.o src/logit_core.o src/model_input.o src/model_codec.o src/model_bins.o \
       src/model_train.o src/model_score.o src/normal_core.o src/compliance.o \
       src/control_chart_core.o src/control_chart.o src/select_first_core.o src/batch_rank.o src/text_index.o src/batch_read.o src/batch_channels.o \
       src/gamma_core.o src/chi_square.o src/risk_close.o src/decide_entry.o

# The install script has one source: the numbered fragments in extension/.
DATA_built = $(EXTENSION)--$(EXTVERSION).sql
EXTRA_CLEAN = test/unit/hscode_test test/unit/criteria_test test/unit/beta_test test/unit/gbdt_test \
             test/unit/logit_test test/unit/control_chart_test test/unit/gamma_test test/unit/sha256_test \
             test/unit/select_first_test

REGRESS = setup hscode hscode_index reference data_model loader_errors criteria selection indicators evaluation price_ref compliance monitoring performance risk_register
ISOLATION = profile_consistency code_list_race action_close_race kept_sets
ISOLATION_OPTS = --inputdir=test/isolation

# Developer builds and CI fail on any warning; WERROR= turns that off.
WERROR ?= -Werror
PG_CFLAGS += -Wall -Wextra $(WERROR) -Wno-unused-parameter

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: a changed struct in a header must rebuild every object.
$(OBJS): $(wildcard src/*.h)

$(DATA_built): $(sort $(wildcard extension/*.sql)) $(EXTENSION).control
	cat $(sort $(wildcard extension/*.sql)) > $@

# Unit tests of the pure C cores, no server needed; TAP output.
test/unit/hscode_test: test/unit/hscode_test.c test/unit/tap.h src/hscode_core.c src/hscode_core.h
	$(CC) -std=c99 -O1 -g -Wall -Wextra $(WERROR) -Isrc -o $@ test/unit/hscode_test.c src/hscode_core.c

unitcheck: test/unit/hscode_test
	test/unit/hscode_test

.PHONY: unitcheck

test/unit/criteria_test: test/unit/criteria_test.c test/unit/tap.h src/criteria_core.c src/criteria_core.h src/hscode_core.c src/hscode_core.h
	$(CC) -std=c99 -O1 -g -Wall -Wextra $(WERROR) -Wno-unused-parameter -Isrc -o $@ test/unit/criteria_test.c src/criteria_core.c src/hscode_core.c -lm

test/unit/beta_test: test/unit/beta_test.c test/unit/tap.h src/beta_core.c src/beta_core.h src/gamma_core.c src/gamma_core.h
	$(CC) -std=c99 -O1 -g -Wall -Wextra $(WERROR) -Isrc -o $@ test/unit/beta_test.c src/beta_core.c src/gamma_core.c -lm

test/unit/gbdt_test: test/unit/gbdt_test.c test/unit/tap.h src/gbdt_core.c src/gbdt_core.h src/le_bytes.h src/core_common.h
	$(CC) -std=c99 -O2 -g -Wall -Wextra $(WERROR) -Isrc -o $@ test/unit/gbdt_test.c src/gbdt_core.c -lm

test/unit/logit_test: test/unit/logit_test.c test/unit/tap.h src/logit_core.c src/logit_core.h src/le_bytes.h src/core_common.h
	$(CC) -std=c99 -O2 -g -Wall -Wextra $(WERROR) -Isrc -o $@ test/unit/logit_test.c src/logit_core.c -lm

test/unit/control_chart_test: test/unit/control_chart_test.c test/unit/tap.h src/control_chart_core.c src/control_chart_core.h
	$(CC) -std=c99 -O2 -g -Wall -Wextra $(WERROR) -Isrc -o $@ test/unit/control_chart_test.c src/control_chart_core.c -lm

test/unit/sha256_test: test/unit/sha256_test.c test/unit/tap.h src/sha256_core.c src/sha256_core.h
	$(CC) -std=c99 -O2 -g -Wall -Wextra $(WERROR) -Isrc -o $@ test/unit/sha256_test.c src/sha256_core.c

test/unit/select_first_test: test/unit/select_first_test.c test/unit/tap.h src/select_first_core.c src/select_first_core.h
	$(CC) -std=c99 -O2 -g -Wall -Wextra $(WERROR) -Isrc -o $@ test/unit/select_first_test.c src/select_first_core.c

test/unit/gamma_test: test/unit/gamma_test.c test/unit/tap.h src/gamma_core.c src/gamma_core.h
	$(CC) -std=c99 -O2 -g -Wall -Wextra $(WERROR) -Isrc -o $@ test/unit/gamma_test.c src/gamma_core.c -lm
