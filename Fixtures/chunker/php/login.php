<!DOCTYPE html>
<html>
<body>
<?php
namespace App\Http;

use App\Models\User;

const MAX_ATTEMPTS = 5;

/**
 * Checks a password against the stored hash.
 */
function verify_password(string $password, string $hash): bool
{
    return password_verify($password, $hash);
}

interface Authenticator
{
    public function attempt(string $user, string $password): bool;
}

trait Throttles
{
    private int $attempts = 0;

    public function tooManyAttempts(): bool
    {
        return $this->attempts >= MAX_ATTEMPTS;
    }
}

#[Controller]
class LoginController extends Controller implements Authenticator
{
    use Throttles;

    private array $sessions = [];

    // Tries to log the user in.
    #[Route('/login', methods: ['POST'])]
    public function attempt(string $user, string $password): bool
    {
        $record = User::where('name', $user)->first();
        if ($record === null || $this->tooManyAttempts()) {
            return false;
        }
        return verify_password($password, $record->hash);
    }

    public static function create(): static
    {
        return new static();
    }
}

enum Outcome: string
{
    case Success = 'ok';
    case Locked = 'locked';

    public function label(): string
    {
        return ucfirst($this->value);
    }
}
?>
<p>Welcome, <?= htmlspecialchars($name) ?></p>
</body>
</html>
