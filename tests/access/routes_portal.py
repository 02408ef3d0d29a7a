"""Access matrix entries for portal (see tests/access/README.md)."""

from tests.access.matrix import GET, POST  # noqa: F401

# fmt: off
ROUTES = {
#                                                       anon  off view  adm  oth  prt prt- aud aud- plat
    'healthz':                                       GET(" 200  200  200  200  200  200  200  200  200  200"),
    'readyz':                                        GET(" 200  200  200  200  200  200  200  200  200  200"),
    'metrics':                                       GET(" 404  404  404  404  404  404  404  404  404  404"),
    'ledger_keyring':                                GET(" 200  200  200  200  200  200  200  200  200  200"),
    'ledger_key':                                    GET(" 200  200  200  200  200  200  200  200  200  200"),
    'javascript_catalogue':                          GET(" 200  200  200  200  200  200  200  200  200  200"),
    'home':                                          GET("  in  200  200  200  200  200  200  200  200  200"),
    'review':                                        GET("  in  404  404  404  404  200  200  404  404  404"),
    'summary':                                       GET("  in  404  404  404  404  200  200  200  200  200"),
    'audit':                                         GET("  in  404  404  404  404  200  200  200  200  404"),
    'audit_reports':                                 GET("  in  404  404  404  404  200  404  200  404  404"),
    'audit_report_progress':                         GET("  in  404  404  404  404  200  404  200  404  404"),
    'audit_report_subscription':                     POST("  in  404  404  404  404  302  404  302  404  404"),
    'audit_report_download':                         GET("  in  404  404  404  404  200  404  200  404  404", obj='report'),
    'logout':                                        POST("  in   in   in   in   in   in   in   in   in   in"),
    'accounts/social/login/cancelled/':              GET(" 301  301  301  301  301  301  301  301  301  301"),
    'accounts/social/login/error/':                  GET(" 301  301  301  301  301  301  301  301  301  301"),
    'accounts/social/signup/':                       GET(" 301  301  301  301  301  301  301  301  301  301"),
    'accounts/social/connections/':                  GET(" 301  301  301  301  301  301  301  301  301  301"),
    'api-schema':                                    GET(" 200  200  200  200  200  200  200  200  200  200"),
    'api-compliance-reports':                        GET(" 401  404  404  404  404  200  404  200  404  404"),
    'api-compliance-report':                         GET(" 401  404  404  404  404  200  404  200  404  404", obj='report'),
    'api-compliance-report-download':                GET(" 401  404  404  404  404  200  404  200  404  404", obj='report'),
    'api-compliance-summary':                        GET(" 401  400  400  400  400  400  400  400  400  400"),
    'api-not-found':                                 GET(" 404  404  404  404  404  404  404  404  404  404"),
}
# fmt: on
