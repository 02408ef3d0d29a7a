"""Access matrix entries for training (see tests/access/README.md)."""

from tests.access.matrix import GET, POST  # noqa: F401

# fmt: off
ROUTES = {
#                                                       anon  off view  adm  oth  prt prt- aud aud- plat
    'training:home':                                 GET("  in  200  200  200  404  200  404  200  404  404"),
    'training:programme_new':                        GET("  in  403  403  200  404  403  404  403  404  404"),
    'training:programme':                            GET("  in  200  200  200  404  200  404  200  404  404", obj='programme'),
    'training:programme_share':                      POST("  in  403  403  302  404  403  404  403  404  404", obj='programme', data={'share': '0'}),
    'training:shared':                               GET("  in  200  200  200  404  200  404  200  404  404", names_others=True),
    'training:shared_adopt':                         POST("  in  403  403  302  404  403  404  403  404  404", obj='shared_programme'),
    'training:enrolment':                            GET("  in  404  404  200  404  200  404  200  404  404", obj='enrolment'),
    'training:module':                               GET("  in  404  404  200  404  200  404  200  404  404", obj='enrolment', args={'index': 1}),
    'training:certificate':                          GET("  in  404  404  200  404  200  404  200  404  404", obj='certificate'),
    'training:manage':                               GET("  in  403  403  200  404  403  404  403  404  404"),
    'training:roster_template':                      GET("  in  403  403  200  404  403  404  403  404  404"),
    'training:cohort':                               GET("  in  403  403  200  404  200  404  403  404  404"),
    'training:requirements':                         GET("  in  200  200  200  404  200  404  200  404  404"),
    'training:requirement_remove':                   GET("  in  403  403  200  404  403  404  403  404  404", obj='training_requirement'),
    'certificate_check':                             GET(" 200  200  200  200  200  200  200  200  200  200", args={'code': '@certificate_code'}),
    'api-training-catalogue':                        GET(" 401  200  200  200  200  200  200  200  200  200"),
    'api-training-programmes':                       GET(" 401  200  200  200  404  200  404  200  404  404"),
    'api-training-enrolments':                       GET(" 401  200  200  200  404  200  404  200  404  404"),
    'api-training-enrolment':                        GET(" 401  404  404  200  404  200  404  200  404  404", obj='enrolment'),
    'api-training-enrolment-quiz':                   POST(" 401  404  404  400  404  400  404  400  404  404", obj='enrolment'),
    'training:enrol_self':                           POST("  in  302  302  302  404  403  404  403  404  404", args={'slug': '@programme_slug'}),
}
# fmt: on
