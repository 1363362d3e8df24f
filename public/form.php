<?php
// A form that posts to itself. Whatever was sent is shown escaped: never echo input raw.
$name = isset($_POST['name']) ? (string) $_POST['name'] : null;
?>
<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>plugd — a PHP form</title>
  <link rel="stylesheet" href="/style.css">
</head>
<body>
  <header><h1>A PHP form</h1><p>Served by the <code>php-cgi</code> gateway.</p></header>
  <main>
    <form method="post" action="/form.php">
      <input type="text" name="name" id="name" placeholder="Your name" autofocus>
      <button type="submit" id="send">Send</button>
    </form>
<?php if ($name !== null): ?>
    <p class="result" id="result">Hello, <?= htmlspecialchars($name, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8') ?>!</p>
<?php endif; ?>
    <p><a href="/">Back</a></p>
  </main>
</body>
</html>
