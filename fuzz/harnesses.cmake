# The harnesses in fuzz/ and the libraries each one needs: read by fuzz/CMakeLists.txt (the
# libFuzzer binaries) and tests/regress/CMakeLists.txt (the same sources as regression tests).
set(POPE_FUZZ_HARNESSES midi genome checkpoint npy jsb_json maestro_csv preset)
set(POPE_FUZZ_LIBS_midi pope_music)
set(POPE_FUZZ_LIBS_genome pope_genome)
set(POPE_FUZZ_LIBS_checkpoint pope_pipeline)
set(POPE_FUZZ_LIBS_npy pope_pipeline pope_music)
set(POPE_FUZZ_LIBS_jsb_json pope_music)
set(POPE_FUZZ_LIBS_maestro_csv pope_music)
set(POPE_FUZZ_LIBS_preset pope_pipeline)
