"""Access matrix entries for engagements (see tests/access/README.md)."""

from tests.access.matrix import GET, POST  # noqa: F401

# fmt: off
ROUTES = {
#                                                       anon  off view  adm  oth  prt prt- aud aud- plat
    'engagement:home':                               GET("  in  200  200  200  404  200  404  200  404  404"),
    'engagement:new':                                GET("  in  200  403  200  404  403  404  403  404  404"),
    'engagement:detail':                             GET("  in  200  200  200  404  200  404  200  404  404", obj='engagement'),
    'engagement:terms':                              GET("  in  200  403  200  404  403  404  403  404  404", obj='engagement'),
    'engagement:diff':                               GET("  in  200  200  200  404  200  404  200  404  404", obj='engagement'),
    'engagement:action':                             POST("  in  400  400  400  404  400  404  400  404  404", obj='engagement', args={'action': 'submit'}),
    'engagement:message':                            POST("  in  302  403  302  404  302  404  403  404  404", obj='engagement', data={'text': 'When is the next review?'}),
    'engagement:attachment':                         GET("  in  200  200  200  404  200  404  200  404  404", obj='engagement', args={'attachment': '@engagement_attachment'}, shows=False),
    'api-engagement-messages':                       GET(" 401  200  200  200  404  200  404  200  404  404", obj='engagement', shows=False),
    'api-engagement-messages-read':                  POST(" 401  200  200  200  404  200  404  200  404  404", obj='engagement', shows=False),
    'api-engagement-attachment':                     GET(" 401  200  200  200  404  200  404  200  404  404", obj='engagement', args={'attachment': '@engagement_attachment'}, shows=False),
    'api-review-queue':                              GET(" 401  200  200  200  200  200  200  200  200  200"),
    'api-engagements':                               GET(" 401  200  200  200  404  200  404  200  404  404"),
    'api-engagement':                                GET(" 401  200  200  200  404  200  404  200  404  404", obj='engagement'),
    'api-engagement-terms':                          POST(" 401  400  403  400  404  403  404  403  404  404", obj='engagement'),
    'api-engagement-submit':                         POST(" 401  400  400  400  404  400  404  400  404  404", obj='engagement'),
    'api-engagement-start-review':                   POST(" 401  400  400  400  404  400  404  400  404  404", obj='engagement'),
    'api-engagement-approve':                        POST(" 401  400  400  400  404  400  404  400  404  404", obj='engagement'),
    'api-engagement-reject':                         POST(" 401  400  400  400  404  400  404  400  404  404", obj='engagement'),
    'api-engagement-request-changes':                POST(" 401  400  400  400  404  400  404  400  404  404", obj='engagement'),
    'api-engagement-suspend':                        POST(" 401  403  403  403  404  400  404  403  404  404", obj='engagement'),
    'api-engagement-reinstate':                      POST(" 401  400  400  400  404  400  404  400  404  404", obj='engagement'),
    'api-engagement-close':                          POST(" 401  403  403  200  404  200  404  403  404  404", obj='engagement', data={'comment': 'Ended after the annual review.'}),
    'api-engagement-activate':                       POST(" 401  400  400  400  404  400  404  400  404  404", obj='engagement'),
}
# fmt: on
