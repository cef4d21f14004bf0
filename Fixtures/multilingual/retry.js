// Fetch a URL, retrying failed HTTP requests with exponential backoff.
async function fetchWithRetry(url, attempts = 5, delayMs = 200) {
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      const response = await fetch(url);
      if (response.ok) return response;
    } catch (error) {
      // network error: fall through to the wait below
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs * 2 ** attempt));
  }
  throw new Error(`giving up on ${url} after ${attempts} attempts`);
}

// Sort a list of users by their age, youngest first.
function sortUsersByAge(users) {
  return [...users].sort((a, b) => a.age - b.age);
}

module.exports = { fetchWithRetry, sortUsersByAge };
