//! Spec loading and checking: the example specs load, and each kind of broken
//! spec is refused with its precise error code.

use leadform_shared::FormSpec;

fn examples_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/forms")
}

#[test]
fn every_example_spec_loads_and_round_trips() {
    let mut count = 0;
    for entry in std::fs::read_dir(examples_dir()).expect("examples/forms exists") {
        let path = entry.expect("dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("readable spec");
        let spec = FormSpec::parse_toml(&source)
            .unwrap_or_else(|e| panic!("{} does not load:\n{e}", path.display()));
        // TOML → JSON → spec gives the same spec and the same public hash.
        let json = serde_json::to_string(&spec).expect("serialises");
        let again = FormSpec::parse_json(&json).expect("JSON form loads");
        assert_eq!(again, spec, "{}", path.display());
        assert_eq!(again.public_hash(), spec.public_hash());
        assert!(spec.public().destinations.is_empty());
        count += 1;
    }
    assert!(
        count >= 3,
        "expected at least three example specs, found {count}"
    );
}

/// A minimal valid spec to break in one place per case.
const BASE: &str = r#"
id = "contact"
[[fields]]
id = "email"
kind = "email"
label = "Email"
required = true
[[fields]]
id = "topic"
kind = "select"
label = "Topic"
options = [{ value = "sales" }, { value = "support" }]
"#;

#[test]
fn base_spec_is_valid() {
    FormSpec::parse_toml(BASE).expect("base spec is valid");
}

/// (description, TOML appended to BASE or replacing it, expected error codes)
const BROKEN: &[(&str, &str, &[&str])] = &[
    (
        "duplicate field id",
        "[[fields]]\nid = \"email\"\nkind = \"text\"\nlabel = \"Again\"",
        &["spec.duplicate_field_id"],
    ),
    (
        "field id taken by a phone field's extension",
        "[[fields]]\nid = \"phone\"\nkind = \"phone\"\nlabel = \"Phone\"\n[[fields]]\nid = \"phone_extension\"\nkind = \"text\"\nlabel = \"Ext\"",
        &["spec.duplicate_field_id"],
    ),
    (
        "condition on unknown field",
        "[[fields]]\nid = \"x\"\nkind = \"text\"\nlabel = \"X\"\nshow_when = { field = \"nope\", equals = [\"a\"] }",
        &["spec.condition_unknown_field"],
    ),
    (
        "condition on itself",
        "[[fields]]\nid = \"x\"\nkind = \"text\"\nlabel = \"X\"\nshow_when = { field = \"x\", equals = [\"a\"] }",
        &["spec.condition_self_reference"],
    ),
    (
        "condition value the select cannot hold",
        "[[fields]]\nid = \"x\"\nkind = \"text\"\nlabel = \"X\"\nshow_when = { field = \"topic\", equals = [\"billing\"] }",
        &["spec.condition_value_not_an_option"],
    ),
    (
        "condition with no values",
        "[[fields]]\nid = \"x\"\nkind = \"text\"\nlabel = \"X\"\nshow_when = { field = \"topic\", equals = [] }",
        &["spec.condition_empty_values"],
    ),
    (
        "conditions forming a cycle",
        "[[fields]]\nid = \"a\"\nkind = \"text\"\nlabel = \"A\"\nshow_when = { field = \"b\", equals = [\"1\"] }\n[[fields]]\nid = \"b\"\nkind = \"text\"\nlabel = \"B\"\nshow_when = { field = \"a\", equals = [\"1\"] }",
        &["spec.condition_cycle", "spec.condition_cycle"],
    ),
    (
        "select without options",
        "[[fields]]\nid = \"x\"\nkind = \"select\"\nlabel = \"X\"",
        &["spec.empty_options"],
    ),
    (
        "duplicate option",
        "[[fields]]\nid = \"x\"\nkind = \"multi_select\"\nlabel = \"X\"\noptions = [{ value = \"a\" }, { value = \"a\" }]",
        &["spec.duplicate_option"],
    ),
    (
        "options on a text field",
        "[[fields]]\nid = \"x\"\nkind = \"text\"\nlabel = \"X\"\noptions = [{ value = \"a\" }]",
        &["spec.options_on_non_choice_field"],
    ),
    (
        "empty label",
        "[[fields]]\nid = \"x\"\nkind = \"text\"\nlabel = \"  \"",
        &["spec.empty_label"],
    ),
    (
        "min_length above max_length",
        "[[fields]]\nid = \"x\"\nkind = \"text\"\nlabel = \"X\"\nmin_length = 5\nmax_length = 2",
        &["spec.inverted_length"],
    ),
    (
        "max_length too large",
        "[[fields]]\nid = \"x\"\nkind = \"textarea\"\nlabel = \"X\"\nmax_length = 1000000",
        &["spec.length_too_large"],
    ),
    (
        "min above max",
        "[[fields]]\nid = \"x\"\nkind = \"number\"\nlabel = \"X\"\nmin = 5\nmax = 1",
        &["spec.inverted_range"],
    ),
    (
        "length rule on a number",
        "[[fields]]\nid = \"x\"\nkind = \"number\"\nlabel = \"X\"\nmax_length = 3",
        &["spec.constraint_not_applicable"],
    ),
    (
        "selection bounds beyond options",
        "[[fields]]\nid = \"x\"\nkind = \"multi_select\"\nlabel = \"X\"\noptions = [{ value = \"a\" }]\nmin_selected = 2",
        &["spec.inverted_selection_bounds"],
    ),
    (
        "postal code without country",
        "[[fields]]\nid = \"zip\"\nkind = \"postal_code\"\nlabel = \"ZIP\"",
        &["spec.country_required"],
    ),
    (
        "bad field id",
        "[[fields]]\nid = \"Bad Id\"\nkind = \"text\"\nlabel = \"X\"",
        &["spec.invalid_id"],
    ),
    (
        "stage with unknown field and a field in no stage",
        "[[stages]]\nid = \"one\"\nfields = [\"email\", \"ghost\"]",
        &["spec.stage_unknown_field", "spec.field_in_no_stage"],
    ),
    (
        "field in two stages",
        "[[stages]]\nid = \"one\"\nfields = [\"email\", \"topic\"]\n[[stages]]\nid = \"two\"\nfields = [\"topic\"]",
        &["spec.field_in_two_stages"],
    ),
    (
        "empty stage",
        "[[stages]]\nid = \"one\"\nfields = [\"email\", \"topic\"]\n[[stages]]\nid = \"two\"\nfields = []",
        &["spec.empty_stage"],
    ),
    (
        "always_ask unknown field",
        "[profiling]\nalways_ask = [\"phone\"]",
        &["spec.always_ask_unknown_field"],
    ),
    (
        "zero stages per visit",
        "[profiling]\nstages_per_visit = 0",
        &["spec.zero_stages_per_visit"],
    ),
    (
        "consent without text, version or channels",
        "[[consents]]\nid = \"c\"\ntext = \" \"\nversion = \"\"\nchannels = []\nlegal_basis = \"consent\"",
        &[
            "spec.consent_empty_text",
            "spec.consent_empty_version",
            "spec.consent_no_channels",
        ],
    ),
    (
        "consent id equal to a field id",
        "[[consents]]\nid = \"email\"\ntext = \"ok\"\nversion = \"1\"\nchannels = [\"email\"]\nlegal_basis = \"consent\"\ncovers = [\"email\"]",
        &["spec.duplicate_consent_id"],
    ),
    (
        "contact channel the form has no field for",
        "[contact]\nrequired = [\"phone\"]",
        &["spec.contact_channel_without_field"],
    ),
    (
        "contact channel whose only field opted out of identity",
        "[contact]\nany_of = [\"phone\"]\n[[fields]]\nid = \"phone\"\nkind = \"phone\"\nlabel = \"Phone\"\nidentity = false",
        &["spec.contact_channel_without_field"],
    ),
    (
        "contact channel named twice",
        "[contact]\nrequired = [\"email\"]\nany_of = [\"email\", \"email\"]",
        &["spec.contact_duplicate_channel", "spec.contact_duplicate_channel"],
    ),
    (
        "required contact channel whose fields are all optional",
        "[contact]\nrequired = [\"phone\"]\n[[fields]]\nid = \"phone\"\nkind = \"phone\"\nlabel = \"Phone\"",
        &["spec.contact_required_field_optional"],
    ),
    (
        "conditional phone field (identity by kind)",
        "[[fields]]\nid = \"phone\"\nkind = \"phone\"\nlabel = \"Phone\"\nshow_when = { field = \"topic\", equals = [\"sales\"] }",
        &["spec.identity_field_conditional"],
    ),
    (
        "conditional name field (identity by autocomplete)",
        "[[fields]]\nid = \"first\"\nkind = \"text\"\nlabel = \"First name\"\nautocomplete = \"given-name\"\nshow_when = { field = \"topic\", equals = [\"sales\"] }",
        &["spec.identity_field_conditional"],
    ),
    (
        "conditional field marked identity",
        "[[fields]]\nid = \"zip\"\nkind = \"postal_code\"\nlabel = \"ZIP\"\ncountry = \"US\"\nidentity = true\nshow_when = { field = \"topic\", equals = [\"sales\"] }",
        &["spec.identity_field_conditional"],
    ),
    (
        "consent covering an unknown field",
        "[[consents]]\nid = \"mail\"\ntext = \"ok\"\nversion = \"1\"\nchannels = [\"postal_mail\"]\nlegal_basis = \"consent\"\ncovers = [\"ghost\"]",
        &["spec.consent_covers_unknown_field"],
    ),
    (
        "consent covering a field that is not an identity field",
        "[[consents]]\nid = \"mail\"\ntext = \"ok\"\nversion = \"1\"\nchannels = [\"postal_mail\"]\nlegal_basis = \"consent\"\ncovers = [\"topic\"]",
        &["spec.consent_covers_non_identity_field"],
    ),
    (
        "calls and texts consent covering no phone field",
        "[[consents]]\nid = \"tcpa\"\ntext = \"ok\"\nversion = \"1\"\nchannels = [\"sms\", \"phone_call\", \"automated_calls\"]\nlegal_basis = \"express_written_consent\"\ncovers = [\"email\"]",
        &["spec.consent_channel_not_covered"],
    ),
    (
        "email consent covering nothing",
        "[[consents]]\nid = \"news\"\ntext = \"ok\"\nversion = \"1\"\nchannels = [\"email\"]\nlegal_basis = \"consent\"",
        &["spec.consent_channel_not_covered"],
    ),
    (
        "consent covering fields of two stages",
        "[[fields]]\nid = \"phone\"\nkind = \"phone\"\nlabel = \"Phone\"\n[[stages]]\nid = \"one\"\nfields = [\"email\", \"topic\"]\n[[stages]]\nid = \"two\"\nfields = [\"phone\"]\n[[consents]]\nid = \"all\"\ntext = \"ok\"\nversion = \"1\"\nchannels = [\"email\", \"sms\"]\nlegal_basis = \"consent\"\ncovers = [\"email\", \"phone\"]",
        &["spec.consent_covers_split_stages"],
    ),
    (
        "origin with a path",
        "allowed_origins = [\"https://example.com/page\"]",
        &["spec.invalid_origin"],
    ),
    (
        "webhook with a relative URL",
        "[[destinations]]\ntype = \"webhook\"\nurl = \"/hook\"\nsecret = \"S\"",
        &["spec.invalid_destination_url"],
    ),
    (
        "protocol-relative redirect",
        "[success]\nredirect_url = \"//evil.example\"",
        &["spec.invalid_redirect"],
    ),
    (
        "quarantine: unknown signal",
        "[anti_spam.quarantine]\nrefuse = [\"honeypot\", \"captcha\"]",
        &["spec.quarantine_unknown_signal"],
    ),
    (
        "quarantine: a signal both refused and ignored",
        "[anti_spam.quarantine]\nrefuse = [\"too_fast\"]\nignore = [\"too_fast\"]",
        &["spec.quarantine_signal_twice"],
    ),
    (
        "quarantine: a signal listed twice",
        "[anti_spam.quarantine]\nignore = [\"same_text\", \"same_text\"]",
        &["spec.quarantine_signal_twice"],
    ),
    (
        "quarantine: caps of zero",
        "[anti_spam.quarantine]\nper_ip_per_hour = 0\nper_form_per_hour = 0",
        &["spec.quarantine_cap_zero", "spec.quarantine_cap_zero"],
    ),
    (
        "quarantine: kept zero days",
        "[anti_spam.quarantine]\nretention_days = 0",
        &["spec.quarantine_retention_out_of_range"],
    ),
    (
        "quarantine: kept over a year",
        "[anti_spam.quarantine]\nretention_days = 366",
        &["spec.quarantine_retention_out_of_range"],
    ),
    (
        "retention: personal data kept zero days",
        "[retention]\npersonal_data_days = 0",
        &["spec.retention_out_of_range"],
    ),
    (
        "retention: evidence over ten years",
        "[retention]\nevidence_days = 3651",
        &["spec.retention_out_of_range"],
    ),
    (
        "retention: evidence kept shorter than personal data",
        "[retention]\npersonal_data_days = 400\nevidence_days = 365",
        &["spec.retention_evidence_shorter"],
    ),
    (
        "retention: unknown key",
        "[retention]\npersonal_days = 30",
        &["spec.syntax"],
    ),
    (
        "quarantine: negative cap is a syntax error",
        "[anti_spam.quarantine]\nper_ip_per_hour = -1",
        &["spec.syntax"],
    ),
    (
        "unknown key (typo) is a syntax error",
        "[[fields]]\nid = \"x\"\nkind = \"text\"\nlabel = \"X\"\nrequierd = true",
        &["spec.syntax"],
    ),
    (
        "unknown field kind",
        "[[fields]]\nid = \"x\"\nkind = \"date\"\nlabel = \"X\"",
        &["spec.syntax"],
    ),
    (
        "hubspot: no processing consent named",
        concat!(
            "[[consents]]\nid = \"ok\"\ntext = \"T\"\nversion = \"1\"\nchannels = [\"email\"]\nlegal_basis = \"consent\"\ncovers = [\"email\"]\n",
            "[[destinations]]\ntype = \"hubspot\"\nportal_id = \"1\"\nform_guid = \"g\"",
        ),
        &["spec.hubspot_processing_consent_missing", "spec.hubspot_subscription_type_missing"],
    ),
    (
        "hubspot: a marketing consent without its subscription type id",
        concat!(
            "[[consents]]\nid = \"ok\"\ntext = \"T\"\nversion = \"1\"\nchannels = [\"email\"]\nlegal_basis = \"consent\"\ncovers = [\"email\"]\n",
            "[[consents]]\nid = \"news\"\ntext = \"N\"\nversion = \"1\"\nchannels = [\"email\"]\nlegal_basis = \"consent\"\ncovers = [\"email\"]\n",
            "[[destinations]]\ntype = \"hubspot\"\nportal_id = \"1\"\nform_guid = \"g\"\nprocessing_consent = \"ok\"",
        ),
        &["spec.hubspot_subscription_type_missing"],
    ),
    (
        "hubspot: consent ids that are not blocks",
        concat!(
            "[[consents]]\nid = \"ok\"\ntext = \"T\"\nversion = \"1\"\nchannels = [\"email\"]\nlegal_basis = \"consent\"\ncovers = [\"email\"]\n",
            "[[destinations]]\ntype = \"hubspot\"\nportal_id = \"1\"\nform_guid = \"g\"\nprocessing_consent = \"ok\"\nsubscription_types = { nope = 7 }",
        ),
        &["spec.hubspot_unknown_consent"],
    ),
    (
        "hubspot: legitimate interest beside consent",
        concat!(
            "[[consents]]\nid = \"ok\"\ntext = \"T\"\nversion = \"1\"\nchannels = [\"email\"]\nlegal_basis = \"consent\"\ncovers = [\"email\"]\n",
            "[[consents]]\nid = \"li\"\ntext = \"L\"\nversion = \"1\"\nchannels = [\"email\"]\nlegal_basis = \"legitimate_interest\"\ncovers = [\"email\"]\n",
            "[[destinations]]\ntype = \"hubspot\"\nportal_id = \"1\"\nform_guid = \"g\"\nprocessing_consent = \"ok\"\nsubscription_types = { li = 7 }",
        ),
        &["spec.hubspot_consent_mixed"],
    ),
    (
        "salesforce_api: no LastName and no Company",
        "[[destinations]]\ntype = \"salesforce_api\"\ninstance_url = \"https://acme.my.salesforce.com\"\nclient_id_secret = \"I\"\nclient_secret_secret = \"S\"\nfield_map = { email = \"Email\" }",
        &["spec.salesforce_required_field_unmapped", "spec.salesforce_required_field_unmapped"],
    ),
    (
        "salesforce_api: a field longer than its Lead field, a field that does not exist",
        concat!(
            "[[fields]]\nid = \"name\"\nkind = \"text\"\nlabel = \"Name\"\nmax_length = 100\n",
            "[[fields]]\nid = \"org\"\nkind = \"text\"\nlabel = \"Org\"\n",
            "[[destinations]]\ntype = \"salesforce_api\"\ninstance_url = \"https://acme.my.salesforce.com\"\nclient_id_secret = \"I\"\nclient_secret_secret = \"S\"\n",
            "split_name = \"name\"\nfield_map = { org = \"Company\", nope = \"Title\" }",
        ),
        &["spec.salesforce_unknown_field", "spec.salesforce_field_too_long", "spec.salesforce_field_too_long"],
    ),
    (
        "salesforce_api: a relative instance URL",
        "[[destinations]]\ntype = \"salesforce_api\"\ninstance_url = \"/sf\"\nclient_id_secret = \"I\"\nclient_secret_secret = \"S\"\ndefault_company = \"C\"\nsplit_name = \"email\"",
        &["spec.invalid_destination_url"],
    ),
    (
        "hubspot: an unknown legitimate-interest basis is a syntax error",
        "[[destinations]]\ntype = \"hubspot\"\nportal_id = \"1\"\nform_guid = \"g\"\nlegitimate_interest_basis = \"prospect\"",
        &["spec.syntax"],
    ),
    (
        "scoring: a rule on a field the form does not have",
        "[[scoring.rules]]\nid = \"r\"\npoints = 5\nwhen = { field = \"budget\", present = true }",
        &["spec.scoring_unknown_field"],
    ),
    (
        "scoring: a rule with two tests, and one with none",
        "[[scoring.rules]]\nid = \"two\"\npoints = 5\nwhen = { field = \"topic\", equals = \"sales\", present = true }\n[[scoring.rules]]\nid = \"none\"\npoints = 5\nwhen = {}",
        &["spec.scoring_ambiguous_test", "spec.scoring_ambiguous_test"],
    ),
    (
        "scoring: an answer test without its field",
        "[[scoring.rules]]\nid = \"r\"\npoints = 5\nwhen = { equals = \"sales\" }",
        &["spec.scoring_ambiguous_test"],
    ),
    (
        "scoring: an impossible range (min above max), and one outside the field's own bounds",
        "[[fields]]\nid = \"size\"\nkind = \"number\"\nlabel = \"Size\"\nmin = 1\nmax = 500\n[[scoring.rules]]\nid = \"a\"\npoints = 5\nwhen = { field = \"size\", min = 50, max = 10 }\n[[scoring.rules]]\nid = \"b\"\npoints = 5\nwhen = { field = \"size\", min = 1000 }",
        &["spec.scoring_impossible_range", "spec.scoring_impossible_range"],
    ),
    (
        "scoring: a range on a select, a value the select cannot hold",
        "[[scoring.rules]]\nid = \"a\"\npoints = 5\nwhen = { field = \"topic\", min = 1 }\n[[scoring.rules]]\nid = \"b\"\npoints = 5\nwhen = { field = \"topic\", one_of = [\"sales\", \"billing\"] }",
        &["spec.scoring_test_not_applicable", "spec.scoring_value_not_an_option"],
    ),
    (
        "scoring: an unknown consent, 0 points, a rule id twice",
        "[[scoring.rules]]\nid = \"a\"\npoints = 5\nwhen = { consent = \"nope\" }\n[[scoring.rules]]\nid = \"a\"\npoints = 0\nwhen = { gclid = true }",
        &["spec.scoring_unknown_consent", "spec.scoring_duplicate_id", "spec.scoring_zero_points"],
    ),
    (
        "scoring: caps: an unknown group, a cap of 0, min_total above max_total",
        "[scoring]\nmax_total = 10\nmin_total = 20\ngroup_caps = { fit = 0 }\n[[scoring.rules]]\nid = \"a\"\npoints = 5\nwhen = { gclid = true }",
        &["spec.scoring_cap_unknown_group", "spec.scoring_cap_not_positive", "spec.scoring_inverted_total"],
    ),
    (
        "scoring: fill_ms_min above fill_ms_max",
        "[[scoring.rules]]\nid = \"a\"\npoints = -5\nwhen = { fill_ms_min = 5000, fill_ms_max = 100 }",
        &["spec.scoring_impossible_range"],
    ),
    (
        "tiers: two with the same threshold, two fallbacks",
        "[[scoring.rules]]\nid = \"a\"\npoints = 50\nwhen = { gclid = true }\n[[tiers]]\nid = \"hot\"\nmin_score = 40\n[[tiers]]\nid = \"warm\"\nmin_score = 40\n[[tiers]]\nid = \"cold\"\n[[tiers]]\nid = \"ice\"",
        &["spec.tier_overlap", "spec.tier_overlap"],
    ),
    (
        "tiers: a threshold above the most the rules can give",
        "[scoring]\nmax_total = 60\n[[scoring.rules]]\nid = \"a\"\npoints = 50\nwhen = { gclid = true }\n[[scoring.rules]]\nid = \"b\"\npoints = 50\nwhen = { field = \"topic\", equals = \"sales\" }\n[[tiers]]\nid = \"hot\"\nmin_score = 70",
        &["spec.tier_unreachable"],
    ),
    (
        "tiers: mark_min_grade without [grading]; an unknown mark is a syntax error elsewhere",
        "[[tiers]]\nid = \"cold\"\nmark = \"mql\"\nmark_min_grade = \"B\"",
        &["spec.tier_mark_grade_unused"],
    ),
    (
        "tiers: an unknown mark",
        "[[tiers]]\nid = \"cold\"\nmark = \"hot\"",
        &["spec.syntax"],
    ),
    (
        "grading: an unknown start grade",
        "[grading]\nstart = \"E\"",
        &["spec.syntax"],
    ),
    (
        "grading: a criterion on an unknown field, one with 0 thirds, an empty prefix",
        "[grading]\n[[grading.criteria]]\nid = \"a\"\nthirds = 3\nwhen = { field = \"size\", present = true }\n[[grading.criteria]]\nid = \"b\"\nthirds = 0\nwhen = { gclid = true }\n[[grading.criteria]]\nid = \"c\"\nthirds = 1\nwhen = { utm_source = [\"\"] }",
        &["spec.scoring_unknown_field", "spec.scoring_zero_points", "spec.scoring_empty_value"],
    ),
    (
        "closed loop: an empty secret name",
        "[closed_loop]\nsecret = \" \"",
        &["spec.closed_loop_empty_secret"],
    ),
    (
        "routing: a route to an unknown recipient, a route without recipients",
        "[[routes]]\nid = \"r\"\nto = [\"nobody\"]\n[[routes]]\nid = \"s\"\nto = []",
        &["spec.route_unknown_recipient", "spec.route_no_recipients"],
    ),
    (
        "routing: a recipient of a missing destination, an unknown zone, a cap of 0, windows without days or with a bad time",
        "[[recipients]]\nid = \"a\"\ndestination = 3\ntime_zone = \"Mars/Olympus\"\ncaps = [{ max = 0, per = \"day\" }]\nhours = [{ days = [], from = \"09:00\", to = \"17:00\" }, { days = [\"mon\"], from = \"9:00\", to = \"17:00\" }]",
        &["spec.route_unknown_destination", "spec.route_unknown_time_zone", "spec.route_invalid_cap", "spec.route_invalid_window", "spec.route_invalid_window"],
    ),
    (
        "routing: a recipient id twice, one destination for two recipients, one period capped twice",
        "[[destinations]]\ntype = \"webhook\"\nurl = \"https://x.example/h\"\nsecret = \"S\"\n[[recipients]]\nid = \"a\"\ndestination = 0\n[[recipients]]\nid = \"a\"\ndestination = 0\ncaps = [{ max = 1, per = \"day\" }, { max = 5, per = \"day\" }]",
        &["spec.route_duplicate_id", "spec.route_destination_twice", "spec.route_invalid_cap"],
    ),
    (
        "routing: a postal rule on an unknown field; an inverted range, a bad country, score_min above score_max",
        "[[destinations]]\ntype = \"webhook\"\nurl = \"https://x.example/h\"\nsecret = \"S\"\n[[recipients]]\nid = \"a\"\ndestination = 0\n[[routes]]\nid = \"r\"\nto = [\"a\"]\nwhen = { postal_code = { field = \"zip\", prefixes = [\"1\"] } }\n[[routes]]\nid = \"s\"\nto = [\"a\"]\nwhen = { postal_code = { field = \"email\", ranges = [{ from = \"200\", to = \"100\" }] }, countries = [\"usa\"], score_min = 5, score_max = 1 }",
        &["spec.route_unknown_field", "spec.route_impossible_condition", "spec.route_impossible_condition", "spec.route_impossible_condition"],
    ),
    (
        "routing: an answer the select cannot hold (the scoring Match check), an unknown tier, a local time in an unknown zone",
        "[[destinations]]\ntype = \"webhook\"\nurl = \"https://x.example/h\"\nsecret = \"S\"\n[[recipients]]\nid = \"a\"\ndestination = 0\n[[routes]]\nid = \"r\"\nto = [\"a\"]\nwhen = { answers = [{ field = \"topic\", equals = \"billing\" }], tiers = [\"hot\"], local_time = { time_zone = \"Nowhere\", hours = [{ days = [\"mon\"], from = \"09:00\", to = \"17:00\" }] } }",
        &["spec.scoring_value_not_an_option", "spec.route_unknown_tier", "spec.route_unknown_time_zone"],
    ),
    (
        "routing: overflow default without overflow_to, an unknown channel, an SLA without escalation",
        "[[destinations]]\ntype = \"webhook\"\nurl = \"https://x.example/h\"\nsecret = \"S\"\n[[recipients]]\nid = \"a\"\ndestination = 0\n[[routes]]\nid = \"r\"\nto = [\"a\"]\noverflow = \"default\"\nnotify = [\"slack\"]\nsla_minutes = 5",
        &["spec.route_overflow_mismatch", "spec.route_unknown_channel", "spec.route_sla_mismatch"],
    ),
    (
        "tiers: a tier notifying an unknown channel",
        "[[tiers]]\nid = \"hot\"\nnotify = [\"pager\"]",
        &["spec.tier_unknown_channel"],
    ),
    (
        "routing: a weighted route over a recipient of weight 0",
        "[[destinations]]\ntype = \"webhook\"\nurl = \"https://x.example/h\"\nsecret = \"S\"\n[[recipients]]\nid = \"a\"\ndestination = 0\nweight = 0\n[[routes]]\nid = \"r\"\nto = [\"a\"]\nmethod = \"weighted\"",
        &["spec.route_zero_weight"],
    ),
    (
        "routing: an unknown method",
        "[[destinations]]\ntype = \"webhook\"\nurl = \"https://x.example/h\"\nsecret = \"S\"\n[[recipients]]\nid = \"a\"\ndestination = 0\n[[routes]]\nid = \"r\"\nto = [\"a\"]\nmethod = \"lottery\"",
        &["spec.syntax"],
    ),
    (
        "channels: an SMS sender not in E.164, an email recipient without @",
        "[[channels]]\ntype = \"twilio_sms\"\nid = \"sms\"\naccount_sid = \"AC1\"\nauth_token_secret = \"T\"\nfrom = \"5551234\"\nto = [\"+15550001111\"]\n[[channels]]\ntype = \"email\"\nid = \"mail\"\napi_key_secret = \"K\"\nfrom = \"leads@example.com\"\nto = [\"nobody\"]",
        &["spec.channel_invalid_address", "spec.channel_invalid_address"],
    ),
];

#[test]
fn crm_destinations_mapping_what_they_need_pass() {
    let block = |id: &str, basis: &str| {
        format!("[[consents]]\nid = \"{id}\"\ntext = \"T {id}\"\nversion = \"1\"\nchannels = [\"email\"]\nlegal_basis = \"{basis}\"\ncovers = [\"email\"]\n")
    };
    let hubspot = "[[destinations]]\ntype = \"hubspot\"\nportal_id = \"1\"\nform_guid = \"g\"\n";
    let cases = [
        // No consent blocks: nothing to map.
        String::new(),
        format!("{}{hubspot}processing_consent = \"ok\"", block("ok", "contract")),
        format!(
            "{}{}{hubspot}processing_consent = \"ok\"\nsubscription_types = {{ news = 9 }}\ntoken_secret = \"HUBSPOT_TOKEN\"",
            block("ok", "consent"),
            block("news", "consent")
        ),
        format!(
            "{}{hubspot}subscription_types = {{ li = 9 }}\nlegitimate_interest_basis = \"customer\"",
            block("li", "legitimate_interest")
        ),
    ];
    let salesforce = "[[fields]]\nid = \"name\"\nkind = \"text\"\nlabel = \"Name\"\nmax_length = 80\n[[destinations]]\ntype = \"salesforce_api\"\ninstance_url = \"https://acme.my.salesforce.com\"\nclient_id_secret = \"I\"\nclient_secret_secret = \"S\"\n";
    let cases = cases.into_iter().chain([
        format!("{salesforce}split_name = \"name\"\ndefault_company = \"Unknown\""),
        format!("{salesforce}field_map = {{ name = \"LastName\", topic = \"Company\", email = \"Email\" }}"),
    ]);
    for addition in cases {
        let addition = if addition.is_empty() {
            hubspot.to_owned()
        } else {
            addition
        };
        let source = format!("{BASE}\n{addition}");
        if let Err(errors) = FormSpec::parse_toml(&source) {
            panic!("{addition}\nrefused: {errors}");
        }
    }
}

#[test]
fn broken_specs_report_precise_errors() {
    let mut failures = Vec::new();
    for (description, addition, expected) in BROKEN {
        // Top-level keys must come before tables in TOML, so splice them first.
        let source = if addition.starts_with("allowed_origins") {
            format!("{addition}\n{BASE}")
        } else {
            format!("{BASE}\n{addition}")
        };
        match FormSpec::parse_toml(&source) {
            Ok(_) => failures.push(format!("{description}: accepted")),
            Err(errors) => {
                let codes: Vec<&str> = errors.0.iter().map(|e| e.code()).collect();
                if codes != *expected {
                    failures.push(format!(
                        "{description}: expected {expected:?}, got {codes:?} ({errors})"
                    ));
                }
                for error in &errors.0 {
                    assert!(error.to_string().starts_with(error.code()));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn json_specs_load_and_report_errors_too() {
    let spec = FormSpec::parse_json(
        r#"{"id":"n","fields":[{"id":"email","kind":"email","label":"Email","required":true}]}"#,
    )
    .expect("valid JSON spec");
    assert_eq!(spec.fields.len(), 1);
    let errors = FormSpec::parse_json(r#"{"id":"n","fields":[]}"#).expect_err("no fields");
    assert_eq!(errors.0[0].code(), "spec.no_fields");
    let errors = FormSpec::parse_json("{").expect_err("bad JSON");
    assert_eq!(errors.0[0].code(), "spec.syntax");
}

#[test]
fn quarantine_rules_default_and_stay_on_the_server() {
    let base = FormSpec::parse_toml(BASE).expect("base spec");
    let rules = &base.anti_spam.quarantine;
    assert!(rules.refuse.is_empty() && rules.ignore.is_empty());
    assert_eq!(
        (
            rules.per_ip_per_hour,
            rules.per_form_per_hour,
            rules.retention_days
        ),
        (20, 500, 30)
    );
    let source = format!(
        "{BASE}\n[anti_spam.quarantine]\nrefuse = [\"honeypot\"]\nignore = [\"disposable_email\"]\nretention_days = 7"
    );
    let spec = FormSpec::parse_toml(&source).expect("valid quarantine rules");
    assert!(spec.anti_spam.quarantine.refuses("honeypot"));
    assert!(spec.anti_spam.quarantine.ignores("disposable_email"));
    assert!(!spec.anti_spam.quarantine.refuses("too_fast"));
    assert_eq!(spec.anti_spam.quarantine.retention_days, 7);
    // The browser's copy carries none of it, and hashes like the base spec.
    assert!(
        !spec.public_json().contains("quarantine"),
        "{}",
        spec.public_json()
    );
    assert_eq!(spec.public_hash(), base.public_hash());
    // The server's copy keeps it through JSON (build.rs embeds specs as JSON).
    let json = serde_json::to_string(&spec).expect("serialises");
    assert_eq!(FormSpec::parse_json(&json).expect("loads"), spec);
}
