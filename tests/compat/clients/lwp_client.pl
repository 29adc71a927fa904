#!/usr/bin/perl
# A VoipNow App in Perl with LWP::UserAgent (libwww-perl, HTTPS through
# LWP::Protocol::https): the client_credentials token request, then /unifiedapi/@me with the
# Bearer token. No published VoipNow client is written in Perl; this one follows the same
# documented request, so a Perl HTTP stack (its form encoding, its Basic credentials) is
# tried too.
#
#   perl lwp_client.pl MODE      MODE: body (key and secret in the form) | basic (HTTP Basic)
#
# Environment: PORTAL_URL, APP_KEY, APP_SECRET, ME_PATH (/unifiedapi/@me by default),
# PERL_LWP_SSL_CA_FILE (the CA the portal's certificate comes from).
# Prints one JSON object: what was sent and what came back.
use strict;
use warnings;
use JSON::PP;
use LWP::UserAgent;
use HTTP::Request::Common qw(POST GET);

my $mode = shift // 'body';
my $base = $ENV{PORTAL_URL};
my $ua = LWP::UserAgent->new(timeout => 30, agent => 'VoipNow-Perl (compatibility suite)');
$ua->ssl_opts(verify_hostname => 1, SSL_ca_file => $ENV{PERL_LWP_SSL_CA_FILE});

sub answer {
    my ($response) = @_;
    my $content_type = $response->header('Content-Type') // '';
    my $json;
    if ($content_type =~ m{application/json}) {
        $json = eval { decode_json($response->decoded_content) };
    }
    return {
        status => 0 + $response->code,
        content_type => $content_type,
        raw => $response->decoded_content,
        json => $json,
        client_warning => $response->header('Client-Warning') // '',
    };
}

my @fields = (grant_type => 'client_credentials', type => 'unifiedapi', state => '0',
              redirect_uri => 'https://app.example/callback');
my $request;
if ($mode eq 'basic') {
    $request = POST("$base/oauth/token.php", \@fields);
    $request->authorization_basic($ENV{APP_KEY}, $ENV{APP_SECRET});
} else {
    $request = POST("$base/oauth/token.php",
                    [client_id => $ENV{APP_KEY}, client_secret => $ENV{APP_SECRET}, @fields]);
}
my %result = (mode => $mode, perl => "$]", lwp => $LWP::UserAgent::VERSION,
              request_content_type => $request->header('Content-Type'));
my $token = answer($ua->request($request));
$result{token} = $token;
if ($token->{status} == 200 && $token->{json} && $token->{json}{access_token}) {
    my $me = GET($base . ($ENV{ME_PATH} || '/unifiedapi/@me'),
                 Authorization => 'Bearer ' . $token->{json}{access_token});
    $result{me} = answer($ua->request($me));
}
print JSON::PP->new->canonical->encode(\%result), "\n";
