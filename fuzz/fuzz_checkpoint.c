// fuzz_checkpoint.c — any bytes as a .safetensors checkpoint, through what the programs call:
// pope_model_open (eval, extrapolate, generate), pope_load with the optimizer and train state
// (train --resume), pope_load_metadata (reading pope.config / pope.train / the data keys
// before loading), and, when a model loads, two decoding steps (generate).
#include "fuzz_util.h"
#include "pope.h"
#include "pope_pipeline.h"

static void run_model(pope_model *m) {
    const pope_config *cfg = pope_model_config(m);
    FUZZ_CHECK(pope_config_validate(cfg) == 0, "a loaded model has an invalid config: %s", pope_last_error());
    pope_kv *kv = pope_kv_new(m, 2);
    float *logits = malloc((size_t)cfg->vocab_size * sizeof *logits);
    FUZZ_CHECK(kv && logits, "out of memory for a model the file holds");
    for (int32_t t = 0; t < 2; t++)
        FUZZ_CHECK(pope_model_step(m, kv, t % cfg->vocab_size, logits) == 0, "step: %s", pope_last_error());
    free(logits);
    pope_kv_free(kv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char path[128];
    fuzz_input(path, sizeof path, "model.safetensors", data, size);

    static const char *const keys[] = {"pope.config", "pope.train", "pope.preset", "pope.genome.split"};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) free(pope_load_metadata(path, keys[k]));

    pope_model *m = pope_model_open(path, NULL);
    if (m) {
        run_model(m);
        pope_model_free(m);
    }
    pope_adamw *opt = NULL;
    pope_train_state st;
    memset(&st, 0, sizeof st);
    m = pope_load(path, &opt, &st);
    if (m) {
        FUZZ_CHECK(opt != NULL, "a training checkpoint loaded without its optimizer");
        pope_model_free(m);
        pope_adamw_free(opt);
        free(st.user_json);
    }
    return 0;
}
