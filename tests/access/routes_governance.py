"""Access matrix entries for governance (see tests/access/README.md)."""

from tests.access.matrix import GET, POST  # noqa: F401

# fmt: off
ROUTES = {
#                                                       anon  off view  adm  oth  prt prt- aud aud- plat
    'governance:home':                               GET("  in  200  200  200  404  200  404  200  404  404"),
    'governance:policies':                           GET("  in  200  200  200  404  200  404  200  404  404"),
    'governance:policy_adopt':                       POST("  in  403  403  302  404  403  404  403  404  404"),
    'governance:policy':                             GET("  in  200  200  200  404  200  404  200  404  404", obj='policy'),
    'governance:policy_version_new':                 GET("  in  403  403  200  404  403  404  403  404  404", obj='policy'),
    'governance:policy_publish':                     GET("  in  403  403  200  404  403  404  403  404  404", obj='policy', args={'number': '@policy_draft'}),
    'governance:policy_acknowledge':                 POST("  in  302  302  302  404  403  404  403  404  404", obj='policy', args={'number': '@policy_version'}),
    'governance:policy_diff':                        GET("  in  200  200  200  404  200  404  200  404  404", obj='policy', args={'number': '@policy_version'}),
    'governance:policy_share':                       POST("  in  403  403  302  404  403  404  403  404  404", obj='policy', data={'share': '0'}),
    'governance:assessments':                        GET("  in  200  200  200  404  200  404  200  404  404"),
    'governance:assessment_new':                     GET("  in  200  403  200  404  403  404  403  404  404"),
    'governance:assessment':                         GET("  in  200  200  200  404  200  404  200  404  404", obj='assessment'),
    'governance:frameworks':                         GET("  in  200  200  200  404  200  404  200  404  404"),
    'governance:evidence_download':                  GET("  in  200  200  200  404  200  404  200  404  404", obj='evidence'),
    'governance:incidents':                          GET("  in  200  200  200  404  200  404  200  404  404"),
    'governance:incident_new':                       GET("  in  200  403  200  404  403  404  403  404  404"),
    'governance:incident':                           GET("  in  200  200  200  404  200  404  200  404  404", obj='incident'),
    'governance:incident_advance':                   POST("  in  302  403  302  404  403  404  403  404  404", obj='incident'),
    'governance:incident_reported':                  POST("  in  302  403  302  404  403  404  403  404  404", obj='incident'),
    'api-policy-templates':                          GET(" 401  200  200  200  200  200  200  200  200  200"),
    'api-frameworks':                                GET(" 401  200  200  200  200  200  200  200  200  200"),
    'api-policies':                                  GET(" 401  200  200  200  404  200  404  200  404  404"),
    'api-policy':                                    GET(" 401  200  200  200  404  200  404  200  404  404", obj='policy'),
    'api-policy-acknowledge':                        POST(" 401  201  201  201  404  403  404  403  404  404", obj='policy'),
    'api-assessments':                               GET(" 401  200  200  200  404  200  404  200  404  404"),
    'api-assessment':                                GET(" 401  200  200  200  404  200  404  200  404  404", obj='assessment'),
    'api-assessment-answers':                        POST(" 401  400  400  400  404  400  404  400  404  404", obj='assessment'),
    'api-assessment-complete':                       POST(" 401  400  403  400  404  403  404  403  404  404", obj='assessment'),
    'api-country-frameworks':                        GET(" 401  200  200  200  404  200  404  200  404  404"),
    'api-incidents':                                 GET(" 401  200  200  200  404  200  404  200  404  404"),
    'api-incident':                                  GET(" 401  200  200  200  404  200  404  200  404  404", obj='incident'),
    'api-incident-advance':                          POST(" 401  200  403  200  404  403  404  403  404  404", obj='incident'),
    'api-incident-reported':                         POST(" 401  200  403  200  404  403  404  403  404  404", obj='incident'),
    'governance:framework':                          GET("  in  200  200  200  404  200  404  200  404  404", args={'slug': '@framework'}),
    'governance:requirement':                        GET("  in  200  200  200  404  200  404  200  404  404", args={'slug': '@framework', 'req': '@requirement'}),
    'api-country-requirements':                      GET(" 401  200  200  200  404  200  404  200  404  404", args={'slug': '@framework'}),
    'api-country-requirement-status':                POST(" 401  400  403  400  404  403  404  403  404  404", args={'slug': '@framework', 'req': '@requirement'}),
    'api-country-requirement-evidence':              POST(" 401  400  403  400  404  403  404  403  404  404", args={'slug': '@framework', 'req': '@requirement'}),
}
# fmt: on
