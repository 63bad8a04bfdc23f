"""Fun: 8ball, dice, rock-paper-scissors, coinflip, choose."""
