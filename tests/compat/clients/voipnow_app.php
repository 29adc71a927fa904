<?php
/*
 * A VoipNow App written in PHP with curl, as 4PSA's own Apps (click2fax, click2conf,
 * facebookcallme) and the Laravel packages get a token and call UnifiedAPI. Written for this
 * suite from what those clients are documented and observed to send; no client code is copied.
 *
 *   php voipnow_app.php MODE
 *
 * Environment: PORTAL_URL (https://127.0.0.1:PORT), APP_KEY, APP_SECRET, CA_FILE (the CA the
 * portal's certificate comes from), ME_PATH (/unifiedapi/@me by default), and for
 * retry_on_403 CACHED_AUTHORIZATION (the "Bearer ..." value an earlier request got).
 *
 * MODE
 *   array                        CURLOPT_POSTFIELDS given an array, so curl sends
 *                                multipart/form-data; client_id and client_secret went
 *                                through urlencode() (the 4PSA Apps' generateToken()).
 *   http_build_query             CURLOPT_POSTFIELDS given http_build_query() of the plain
 *                                values: application/x-www-form-urlencoded (the Laravel and
 *                                rapideinternet clients).
 *   http_build_query_urlencoded  http_build_query() of urlencode()d values: the Apps'
 *                                urlencode() kept by a client that switched to a form body,
 *                                so "~" arrives as "%257E".
 *   retry_on_403                 the 4PSA demo Apps' UnifiedAPI call: send the cached token;
 *                                on HTTP 403 get a new token (as in "array") and retry once.
 *
 * Prints one JSON object: what was sent and what came back.
 */

function portal_curl($url) {
    $handle = curl_init($url);
    curl_setopt($handle, CURLOPT_RETURNTRANSFER, true);
    curl_setopt($handle, CURLOPT_CAINFO, getenv('CA_FILE'));
    curl_setopt($handle, CURLOPT_SSL_VERIFYPEER, true);
    curl_setopt($handle, CURLOPT_SSL_VERIFYHOST, 2);
    curl_setopt($handle, CURLINFO_HEADER_OUT, true);
    curl_setopt($handle, CURLOPT_TIMEOUT, 30);
    return $handle;
}

function run($handle) {
    $body = curl_exec($handle);
    $answer = array(
        'status' => curl_getinfo($handle, CURLINFO_HTTP_CODE),
        'content_type' => curl_getinfo($handle, CURLINFO_CONTENT_TYPE),
        'request_headers' => curl_getinfo($handle, CURLINFO_HEADER_OUT),
        'curl_error' => curl_error($handle),
        'raw' => $body,
        'json' => null,
    );
    if ($body !== false && strpos((string) $answer['content_type'], 'application/json') !== false) {
        $answer['json'] = json_decode($body, true);
    }
    curl_close($handle);
    return $answer;
}

/* The token request; returns the answer and the Authorization value built from it (or false). */
function get_token($mode) {
    $plain = array(
        'grant_type' => 'client_credentials',
        'redirect_uri' => $_SERVER['PHP_SELF'],
        'client_id' => getenv('APP_KEY'),
        'client_secret' => getenv('APP_SECRET'),
        'state' => '0',
    );
    $encoded = $plain;
    $encoded['client_id'] = urlencode($plain['client_id']);
    $encoded['client_secret'] = urlencode($plain['client_secret']);

    $handle = portal_curl(getenv('PORTAL_URL') . '/oauth/token.php');
    curl_setopt($handle, CURLOPT_POST, true);
    if ($mode === 'array') {
        curl_setopt($handle, CURLOPT_POSTFIELDS, $encoded);
    } elseif ($mode === 'http_build_query') {
        curl_setopt($handle, CURLOPT_HTTPHEADER, array('Content-Type: application/x-www-form-urlencoded'));
        curl_setopt($handle, CURLOPT_POSTFIELDS, http_build_query($plain));
    } elseif ($mode === 'http_build_query_urlencoded') {
        curl_setopt($handle, CURLOPT_POSTFIELDS, http_build_query($encoded));
    } else {
        fwrite(STDERR, "unknown mode: $mode\n");
        exit(2);
    }
    $answer = run($handle);
    $answer['sent_client_id'] = $mode === 'http_build_query' ? $plain['client_id'] : $encoded['client_id'];
    $authorization = false;
    if ($answer['status'] == 200 && !empty($answer['json']['access_token'])) {
        $authorization = 'Bearer ' . $answer['json']['access_token'];
    }
    return array($answer, $authorization);
}

function call_me($authorization) {
    $path = getenv('ME_PATH') ?: '/unifiedapi/@me';
    $handle = portal_curl(getenv('PORTAL_URL') . $path);
    curl_setopt($handle, CURLOPT_HTTPHEADER, array('Authorization: ' . $authorization));
    return run($handle);
}

$mode = isset($argv[1]) ? $argv[1] : 'array';
$result = array('mode' => $mode, 'php' => PHP_VERSION, 'curl' => curl_version()['version']);

if ($mode === 'retry_on_403') {
    $authorization = getenv('CACHED_AUTHORIZATION');
    $first = call_me($authorization);
    $result['first'] = $first;
    $result['retried'] = false;
    if ($first['status'] == 403) {
        list($token, $authorization) = get_token('array');
        $result['token'] = $token;
        $result['retried'] = true;
        $result['me'] = call_me($authorization);
    } else {
        $result['me'] = $first;
    }
} else {
    list($token, $authorization) = get_token($mode);
    $result['token'] = $token;
    $result['authorization'] = $authorization;
    $result['me'] = $authorization === false ? null : call_me($authorization);
}

echo json_encode($result), "\n";
