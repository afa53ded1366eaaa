use lookout_pipeline::RunReport;

#[test]
fn a_failing_or_panicking_stage_does_not_stop_the_next() {
    let mut report = RunReport::default();
    let mut ran = Vec::new();
    let a: Option<u32> = report.run("events", || Ok::<_, String>((3, "3 created".into())));
    ran.push(a);
    let b: Option<u32> = report.run("labels", || Err::<(u32, String), _>("database is locked".to_string()));
    ran.push(b);
    let c: Option<u32> = report.run("kpis", || -> Result<(u32, String), String> { panic!("boom") });
    ran.push(c);
    let d: Option<u32> = report.run("stats", || Ok::<_, String>((7, "7 buckets".into())));
    ran.push(d);
    assert_eq!(ran, [Some(3), None, None, Some(7)]);
    assert!(!report.all_ok());
    let failed: Vec<(&str, &str)> = report.failures().map(|s| (s.stage.as_str(), s.detail.as_str())).collect();
    assert_eq!(failed, [("labels", "database is locked"), ("kpis", "panicked: boom")]);
    assert_eq!(report.stages.len(), 4);
}
