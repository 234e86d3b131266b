"""Public views of gated forms: the form page, the gate on a whitepaper, the signed download."""


def form_page_serve(request, form_page):
    raise NotImplementedError
