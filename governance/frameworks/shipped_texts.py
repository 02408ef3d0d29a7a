"""The texts of the frameworks the programme ships (governance/frameworks/library/*.yaml), listed
so that `makemessages` puts each in the five catalogues: a shipped framework's name, summary and
description, and each requirement's title and description, read in the reader's language
(`framework_text`). Nothing imports this module but its test, which holds it whole against the
library's files."""

from django.utils.translation import gettext_noop

SHIPPED_TEXTS = (
    # eu-ai-act.yaml
    gettext_noop("EU AI Act"),
    gettext_noop("Regulation (EU) 2024/1689: the main obligations for providers and deployers."),
    gettext_noop("No prohibited AI practices are used"),
    gettext_noop(
        "No use falls among the practices the Act bans outright, such as social scoring or manipulative techniques."
    ),
    gettext_noop("Each AI system is classified by risk, with the reasoning recorded"),
    gettext_noop(
        "Every use is placed in a risk category against the Act's rules and Annex III, and the reasons are kept."
    ),
    gettext_noop("A risk management process runs through the system's life"),
    gettext_noop("Training, validation and test data are governed and checked for bias"),
    gettext_noop("Technical documentation is drawn up and kept current"),
    gettext_noop("Events are logged automatically for traceability"),
    gettext_noop("Deployers receive clear instructions for use"),
    gettext_noop("Effective human oversight is designed in"),
    gettext_noop("Accuracy, robustness and cybersecurity are adequate"),
    gettext_noop("Deployers use high-risk systems as instructed and monitor them"),
    gettext_noop("A fundamental-rights impact assessment is done before use by public bodies"),
    gettext_noop("High-risk systems are registered in the EU database"),
    gettext_noop(
        "Public authorities that deploy a high-risk system register their use before putting it into service (the portal prepares the pack of Annex VIII, Section C)."
    ),
    gettext_noop("People are told when they interact with AI or see generated content"),
    gettext_noop("Serious incidents are reported to the authority in time"),
    # gdpr.yaml
    gettext_noop("GDPR"),
    gettext_noop("Regulation (EU) 2016/679: the requirements most relevant to AI services."),
    gettext_noop("Processing respects the data protection principles"),
    gettext_noop("Each processing has a lawful basis"),
    gettext_noop("Special categories of data are processed only under an exception"),
    gettext_noop("People are informed about the processing"),
    gettext_noop("People can exercise their rights"),
    gettext_noop("Solely automated decisions with significant effects are safeguarded"),
    gettext_noop("Data protection by design and by default"),
    gettext_noop("Processors are bound by a contract"),
    gettext_noop("Records of processing activities are kept"),
    gettext_noop("Processing is secured appropriately"),
    gettext_noop("Personal data breaches are notified"),
    gettext_noop("A data protection impact assessment precedes high-risk processing"),
    gettext_noop("Transfers outside the EEA are lawful"),
    # iso-42001.yaml
    gettext_noop("ISO/IEC 42001:2023"),
    gettext_noop("The management-system clauses of ISO/IEC 42001 for AI."),
    gettext_noop("The context of the organisation and the scope of the AI management system are set"),
    gettext_noop("Leadership has approved an AI policy"),
    gettext_noop("Roles, responsibilities and authorities are assigned"),
    gettext_noop("AI risks are assessed against defined criteria"),
    gettext_noop("AI system impact assessments are carried out"),
    gettext_noop("People doing AI work are competent"),
    gettext_noop("Documented information is controlled"),
    gettext_noop("Operational planning and control of AI systems"),
    gettext_noop("Internal audits are run at planned intervals"),
    gettext_noop("Management reviews the AI management system"),
    gettext_noop("Nonconformities are corrected and the system improved"),
    # nist-ai-rmf.yaml
    gettext_noop("NIST AI RMF 1.0"),
    gettext_noop("The four functions of the NIST AI Risk Management Framework."),
    gettext_noop("GOVERN: a culture of risk management is cultivated"),
    gettext_noop("Policies and processes for AI risk are in place and known"),
    gettext_noop("Roles and responsibilities for AI risk are clear"),
    gettext_noop("The organisation's culture favours raising and discussing risk"),
    gettext_noop("Risks from third-party models and data are managed"),
    gettext_noop("MAP: the context is recognised and risks related to it are identified"),
    gettext_noop("The context and intended purpose of each system are understood"),
    gettext_noop("Benefits and costs, including to affected people, are weighed"),
    gettext_noop("Impacts on individuals and communities are characterised"),
    gettext_noop("MEASURE: identified risks are assessed, analysed or tracked"),
    gettext_noop("Systems are evaluated for trustworthiness characteristics"),
    gettext_noop("Risks are tracked over time"),
    gettext_noop("MANAGE: risks are prioritised and acted upon according to their projected impact"),
    gettext_noop("Risks are prioritised and acted upon"),
    gettext_noop("Incidents are responded to and lessons recorded"),
    # oecd-ai-principles.yaml
    gettext_noop("OECD AI Principles"),
    gettext_noop(
        "The OECD Recommendation on AI (OECD/LEGAL/0449): five principles for trustworthy AI and five recommendations to governments."
    ),
    gettext_noop(
        "Adhered to by the OECD's members and a number of other countries, the Recommendation is the first intergovernmental standard on AI. Its principles apply to every actor across an AI system's life; its recommendations are addressed to governments. This framework restates both as things a country can show it does, with a reference to the section of the Recommendation each comes from."
    ),
    gettext_noop("Principles for responsible stewardship of trustworthy AI"),
    gettext_noop("Each AI use aims at inclusive growth, sustainable development and well-being"),
    gettext_noop(
        "The administration can say whom each use is meant to benefit, checks that the benefits also reach people and groups who are usually underserved, and weighs the effects on the environment."
    ),
    gettext_noop("AI uses respect the rule of law, human rights and democratic values, including fairness and privacy"),
    gettext_noop(
        "Uses are designed and run within the law, with safeguards proportionate to their context, such as the ability of a person to step in, and with attention to discrimination, privacy and the risk of misinformation amplified by AI."
    ),
    gettext_noop("People know when AI is used and can understand and challenge its outputs"),
    gettext_noop(
        "The administration says openly where it uses AI, gives plain information on what a system does and its limits, and lets those affected understand the main factors behind an output and contest it."
    ),
    gettext_noop("Systems are robust, secure and safe, and can be overridden, repaired or switched off"),
    gettext_noop(
        "Each system is tested to work as intended in normal use, foreseeable misuse and adverse conditions, and there is a way to stop it or correct it safely when it misbehaves."
    ),
    gettext_noop("Those who run AI are accountable for it and manage its risks throughout its life"),
    gettext_noop(
        "Responsibility for each use is assigned, data, processes and decisions are traceable, and risks are managed in a systematic way from design to retirement, including with suppliers."
    ),
    gettext_noop("National policies and international co-operation for trustworthy AI"),
    gettext_noop("Research and development of trustworthy AI is funded over the long term"),
    gettext_noop("An inclusive ecosystem gives fair access to data, computing and knowledge"),
    gettext_noop("Governance and rules for AI are interoperable, agile and allow controlled experimentation"),
    gettext_noop(
        "People are given the skills to work with AI, and workers are supported through the changes it brings"
    ),
    gettext_noop("The country co-operates internationally on trustworthy AI and shares what it learns"),
    # sg-genai-governance.yaml
    gettext_noop("Model AI Governance Framework for Generative AI (Singapore)"),
    gettext_noop(
        "Singapore's framework for generative AI (AI Verify Foundation and IMDA, 2024): nine dimensions of a trusted ecosystem."
    ),
    gettext_noop(
        "The framework proposes nine dimensions that policy makers, industry and the research community look at together to foster a trusted ecosystem for generative AI. Here each dimension is read from the side of an administration that deploys generative AI in its services."
    ),
    gettext_noop("Responsibility is shared out clearly between the model's developer, the deployer and the users"),
    gettext_noop(
        "Who answers for what is agreed in advance, including in the contract with the provider, so that no harm falls through a gap."
    ),
    gettext_noop("Data given to the model is of good quality and used lawfully, with personal data protected"),
    gettext_noop("Good practice is followed in building and deploying, and what was done is disclosed"),
    gettext_noop(
        "The deployer knows and publishes, at a level people can use, what model is used, on what data and with what safeguards."
    ),
    gettext_noop("Incidents are reported, handled and learned from in good time"),
    gettext_noop("Systems are tested, where possible by someone independent, against common benchmarks"),
    gettext_noop("Threats particular to generative AI, such as prompt injection, are designed against"),
    gettext_noop("People can tell where content comes from and when it was made by AI"),
    gettext_noop("The administration follows, supports or applies research on making models safe and aligned"),
    gettext_noop("Generative AI is put to work for the public good, and people are helped to use it"),
    # unesco-ai-ethics.yaml
    gettext_noop("UNESCO Recommendation on the Ethics of AI"),
    gettext_noop(
        "UNESCO's Recommendation on the Ethics of AI (2021): four values, ten principles and eleven areas of policy action."
    ),
    gettext_noop(
        "The Recommendation is the global standard on the ethics of AI adopted by UNESCO's member states. This framework restates its values, its principles and its areas of policy action as things a country can show it does, each with the section of the Recommendation it comes from."
    ),
    gettext_noop("Values"),
    gettext_noop("AI uses respect, protect and promote human rights, fundamental freedoms and human dignity"),
    gettext_noop("AI uses take account of their effect on the environment and ecosystems"),
    gettext_noop("AI uses respect diversity and include people whatever their background"),
    gettext_noop("AI uses support peaceful and just societies and do not divide people"),
    gettext_noop("Principles"),
    gettext_noop("AI is used only where it is proportionate to a legitimate aim, and harms are assessed and prevented"),
    gettext_noop("Unwanted harms and vulnerabilities to attack are avoided and addressed"),
    gettext_noop("AI uses are checked for bias and their benefits are shared fairly"),
    gettext_noop("The effects of AI uses on sustainability are assessed over time"),
    gettext_noop("Privacy is protected and personal data is governed throughout the AI life cycle"),
    gettext_noop("A person or institution stays answerable, and decisions of life and death are never left to AI"),
    gettext_noop("People are told when AI informs a decision about them and can have it explained"),
    gettext_noop("Responsibility for AI uses is assigned, and they can be audited and traced"),
    gettext_noop("Staff and the public learn what AI is, what it can do and what it cannot"),
    gettext_noop("AI is governed with the people and groups it affects, and the rules adapt as it changes"),
    gettext_noop("Areas of policy action"),
    gettext_noop("Ethical impact assessments are made of AI uses, with the people affected"),
    gettext_noop("AI governance is inclusive and transparent and has means of redress"),
    gettext_noop("Data used for AI is of good quality, secure and lawfully governed"),
    gettext_noop("The country takes part in international co-operation on AI"),
    gettext_noop("The environmental footprint of AI uses is measured and reduced"),
    gettext_noop("AI uses do not reproduce gender stereotypes and support gender equality"),
    gettext_noop("AI uses respect cultural heritage and languages, including less-spoken ones"),
    gettext_noop("Education and research prepare people for AI and study it ethically"),
    gettext_noop("AI does not undermine freedom of expression and access to information"),
    gettext_noop("The effects of AI on work are anticipated and workers are helped to adapt"),
    gettext_noop("AI in health and social services is safe, effective and serves people's well-being"),
)
