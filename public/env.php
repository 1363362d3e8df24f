<?php
// The CGI/1.1 environment (RFC 3875 §4.1) as the script sees it, minus anything secret.
$hidden = ['HTTP_AUTHORIZATION', 'HTTP_COOKIE', 'HTTP_PROXY_AUTHORIZATION', 'PHP_AUTH_PW', 'PHP_AUTH_USER', 'PHP_AUTH_DIGEST'];
$env = [];
foreach ($_SERVER as $key => $value) {
    if (!is_string($value) || in_array($key, $hidden, true)) continue;
    $env[$key] = $value;
}
ksort($env);
?>
<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>plugd — the CGI environment</title>
  <link rel="stylesheet" href="/style.css">
</head>
<body>
  <header><h1>The CGI environment</h1><p>What <code>php-cgi</code> receives from plugd. Credentials and cookies are left out.</p></header>
  <main>
    <table id="env">
<?php foreach ($env as $key => $value): ?>
      <tr><td><?= htmlspecialchars($key, ENT_QUOTES, 'UTF-8') ?></td><td><?= htmlspecialchars($value, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8') ?></td></tr>
<?php endforeach; ?>
    </table>
    <p><a href="/">Back</a></p>
  </main>
</body>
</html>
