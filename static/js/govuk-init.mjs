// Starts GOV.UK Frontend's components (error summaries, buttons, navigation).
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();
