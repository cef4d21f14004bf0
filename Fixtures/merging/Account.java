package billing;

/** A customer account: who to bill and where to send the invoices. */
public class Account {
    private String owner;
    private String email;
    private long balanceCents;

    public Account(String owner, String email) {
        this.owner = owner;
        this.email = email;
    }

    public String getOwner() { return owner; }
    public String getEmail() { return email; }
    public void setEmail(String email) { this.email = email.trim().toLowerCase(); }
    public long getBalanceCents() { return balanceCents; }

    /** Adds a payment to the balance; refuses negative amounts. */
    public void credit(long cents) {
        if (cents < 0) {
            throw new IllegalArgumentException("a credit cannot be negative");
        }
        balanceCents += cents;
    }
}
