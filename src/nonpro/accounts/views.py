"""Sign-in and sign-out. Sign-up, MFA and password reset arrive with the identity issue."""

from django.contrib.auth import views as auth_views

from nonpro.accounts.forms import SignInForm


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    pass
