#![no_main]

libfuzzer_sys::fuzz_target!(
    init: assert!(stsbridge::fuzzing::fixtures_ready(), "the fuzz fixtures did not build"),
    |data: &[u8]| stsbridge::fuzzing::policy(data)
);
