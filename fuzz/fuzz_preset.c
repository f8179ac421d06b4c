// fuzz_preset.c — any bytes as a preset file (`--preset FILE.json`), through pope_preset_load.
// A preset that loads must be written back (pope_preset_to_json, as train stores it in
// pope.preset) as JSON that loads again to the same preset.
#include "fuzz_util.h"
#include "pope_pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char path[128];
    fuzz_input(path, sizeof path, "preset.json", data, size);
    pope_preset p;
    if (pope_preset_load(&p, path) != 0) return 0;
    char *json = pope_preset_to_json(&p);
    FUZZ_CHECK(json, "preset to JSON failed");
    pope_preset q;
    FUZZ_CHECK(pope_preset_from_json(&q, json, "written back") == 0, "the preset written back does not load: %s\n%s",
               pope_last_error(), json);
    char *again = pope_preset_to_json(&q);
    FUZZ_CHECK(again && strcmp(json, again) == 0, "written back differently:\n%s\n%s", json, again ? again : "");
    free(again);
    free(json);
    return 0;
}
